// Package procstat reads the CPU time and resident memory of a process, and the CPU time
// of the whole machine, from Linux's /proc. The load and soak tools use it to report
// what the bridge and the broker cost.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat and /proc/stat. Linux reports
// them in USER_HZ, which is 100 on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// Sample is a process's CPU time and resident memory at one moment.
type Sample struct {
	CPU time.Duration // user plus system time since the process started
	RSS int64         // resident set size in bytes
}

// Process reads the CPU time of process pid from /proc/PID/stat and its VmRSS from
// /proc/PID/status.
func Process(pid int) (Sample, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return Sample{}, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	// The command name in parentheses may contain spaces, so fields count from its end.
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return Sample{}, fmt.Errorf("parse /proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 13 {
		return Sample{}, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(fields))
	}
	// utime and stime are fields 14 and 15 of the file, and fields[0] is field 3 (state).
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return Sample{}, fmt.Errorf("parse /proc/%d/stat: invalid utime or stime", pid)
	}

	rss, err := readRSS(dir + "/status")
	if err != nil {
		return Sample{}, err
	}
	return Sample{CPU: time.Duration(utime+stime) * clockTick, RSS: rss}, nil
}

func readRSS(path string) (int64, error) {
	status, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read memory use: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		value, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse VmRSS in %s: %w", path, err)
		}
		return kib << 10, nil
	}
	return 0, fmt.Errorf("no VmRSS line in %s", path)
}

// Machine returns the busy and total CPU time of all cores from the first line of
// /proc/stat. Busy is all but the idle and iowait states.
func Machine() (busy, total time.Duration, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read machine CPU time: %w", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("parse /proc/stat: unexpected first line %q", line)
	}
	// Fields: user nice system idle iowait irq softirq steal, then guest and guest_nice,
	// which user and nice already include.
	for i, f := range fields[1:min(len(fields), 9)] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse /proc/stat: %w", err)
		}
		total += time.Duration(n) * clockTick
		if i != 3 && i != 4 {
			busy += time.Duration(n) * clockTick
		}
	}
	return busy, total, nil
}
