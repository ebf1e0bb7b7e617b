package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat. Linux reports them in
// USER_HZ, which is 100 on every architecture Go supports.
const clockTick = 10 * time.Millisecond

// procSample is a process's CPU time and resident memory at one moment.
type procSample struct {
	CPU time.Duration // user plus system time since the process started
	RSS int64         // resident set size in bytes
}

// readProc reads the CPU time from /proc/PID/stat and VmRSS from /proc/PID/status.
func readProc(pid int) (procSample, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return procSample{}, fmt.Errorf("read CPU time of process %d: %w", pid, err)
	}
	// The command name in parentheses may contain spaces, so fields count from its end.
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return procSample{}, fmt.Errorf("parse /proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 13 {
		return procSample{}, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(fields))
	}
	// utime and stime are fields 14 and 15 of the file, and fields[0] is field 3 (state).
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return procSample{}, fmt.Errorf("parse /proc/%d/stat: invalid utime or stime", pid)
	}

	rss, err := readRSS(dir + "/status")
	if err != nil {
		return procSample{}, err
	}
	return procSample{CPU: time.Duration(utime+stime) * clockTick, RSS: rss}, nil
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

// readMachineBusy returns the CPU time all processes of the machine spent outside the
// idle and iowait states, summed over CPUs, from the first line of /proc/stat.
func readMachineBusy() (time.Duration, error) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("read machine CPU time: %w", err)
	}
	line, _, _ := strings.Cut(string(stat), "\n")
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, fmt.Errorf("parse /proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, f := range fields[1:] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc/stat: %w", err)
		}
		// Fields 4 and 5 of the line are idle and iowait. Guest time is already in user.
		if i != 3 && i != 4 && i < 8 {
			busy += n
		}
	}
	return time.Duration(busy) * clockTick, nil
}
