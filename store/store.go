// Package store keeps the bridge's state in a JSON file in the data directory: webhooks,
// the adapters bound to them, learned parameter metadata and last values.
//
// Writes are atomic: the new state goes to a temporary file that is synced and renamed
// over the old one, and the previous good file is kept as a backup.
package store

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wican-bridge/wican-bridge/payload"
)

// FileName is the state file's name in the data directory.
const FileName = "state.json"

const version = 1

// State is everything the bridge persists.
type State struct {
	Version  int        `json:"version"`
	Webhooks []*Webhook `json:"webhooks"`
	// Ignored lists adapters the user unpaired, by device id or address, so that discovery
	// does not pair them again. Adding one by address takes it off the list.
	Ignored []string `json:"ignored,omitempty"`
}

// Webhook is one webhook and the adapter bound to it, if any.
type Webhook struct {
	ID       string    `json:"id"`
	Name     string    `json:"name,omitempty"`
	Created  time.Time `json:"created"`
	DeviceID string    `json:"device_id,omitempty"`
	// Bound is true once an adapter has posted to the webhook. An adapter may be bound
	// before its identity is known, because changed-only posts leave the identity out.
	Bound    bool   `json:"bound,omitempty"`
	Hardware string `json:"hardware,omitempty"`
	Firmware string `json:"firmware,omitempty"`
	Host     string `json:"host,omitempty"`    // address of the adapter's API, "ip[:port]"
	Managed  bool   `json:"managed,omitempty"` // the bridge set the adapter's webhook URL
	// MDNSHost is the adapter's mDNS host name, such as "wican_a1b2c3d4e5f6.local".
	MDNSHost string `json:"mdns_host,omitempty"`
	// Source tells how the bridge learned of the adapter: "mdns", "hosts", "api", or ""
	// for a webhook created by hand.
	Source string `json:"source,omitempty"`
	// Approved is set when the user approved pairing an adapter whose webhook URL pointed
	// elsewhere, or any adapter in manual pairing mode.
	Approved bool `json:"approved,omitempty"`
	// Takebacks counts how often another receiver replaced the URL the bridge set.
	Takebacks int `json:"takebacks,omitempty"`
	// Interval is the posting interval pushed to the adapter, in seconds; 0 when not pushed.
	Interval int                     `json:"interval,omitempty"`
	Meta     map[string]payload.Meta `json:"meta,omitempty"`
	Values   map[string]Value        `json:"values,omitempty"`
	// Removed lists entities the user deleted in Home Assistant, by object id. The bridge
	// does not publish them again.
	Removed  []string  `json:"removed,omitempty"`
	LastPost time.Time `json:"last_post,omitzero"`
	// Diagnostics last reported, so that a restart does not show them as unknown.
	ECU        string   `json:"ecu,omitempty"`
	Battery12V *float64 `json:"battery_12v,omitempty"`
	RemoteIP   string   `json:"remote_ip,omitempty"` // where the last post came from
}

// Value is a persisted parameter value.
type Value struct {
	Num  float64      `json:"n,omitempty"`
	Text string       `json:"t,omitempty"`
	Kind payload.Kind `json:"k,omitempty"`
}

// ErrCorrupt is returned when the state file exists but cannot be read as state.
var ErrCorrupt = errors.New("state file is corrupt")

// Load reads the state from dir. A missing file gives the backup, or empty state when
// there is no backup either. A corrupt file is copied aside, and the backup of the last
// good state is loaded in its place with a warning. When the backup is needed but not
// usable, Load returns an error rather than start empty.
func Load(dir string, log *slog.Logger) (*State, error) {
	return LoadEach(dir, log, nil)
}

// LoadEach is Load for large state: it passes the webhooks to each, one at a time, and
// returns the state without them, so that the caller can shrink every webhook before the
// next one is decoded. Each receives no webhook of a corrupt file, because the whole file
// is checked first. With a nil each, LoadEach is Load.
func LoadEach(dir string, log *slog.Logger, each func(*Webhook)) (*State, error) {
	path := filepath.Join(dir, FileName)
	st, err := readFile(path, each)
	if err == nil {
		known.record(path)
	}
	if err == nil {
		return st, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return loadBackupOfMissing(path, log, each)
	}
	if !errors.Is(err, ErrCorrupt) {
		return nil, err
	}

	kept := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405Z"))
	if cerr := copyFile(path, kept); cerr != nil {
		return nil, fmt.Errorf("%w; keeping a copy also failed: %w", err, cerr)
	}
	backup, berr := readFile(path+".bak", each)
	if berr != nil {
		return nil, fmt.Errorf("%w (copy kept at %s); the backup %s.bak is not usable either"+
			" (%v): move the file away to start with empty state", err, kept, path, berr)
	}
	log.Warn("state file is corrupt, loaded the backup of the last good state",
		"file", path, "copy", kept, "err", err)
	return backup, nil
}

// loadBackupOfMissing loads the backup when the state file is missing. Save renames the
// state file to the backup before it renames the new file in, so a crash between the two
// leaves only the backup. Without either file the state is empty.
func loadBackupOfMissing(path string, log *slog.Logger, each func(*Webhook)) (*State, error) {
	backup, err := readFile(path+".bak", each)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: version}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file %s is missing and its backup is not usable (%w): "+
			"move %s.bak away to start with empty state", path, err, path)
	}
	log.Warn("state file is missing, loaded the backup of the last good state; the last "+
		"save was probably interrupted", "file", path)
	return backup, nil
}

// readFile reads the state file at path. Without each, the state contains the webhooks.
// With each, a first pass checks the file and a second passes the webhooks to each. Both
// read the file as a stream, so one decoded webhook at a time is in memory. With 10,000
// adapters of 30 parameters the file is 25 MB and its decoded webhooks 80 MB.
func readFile(path string, each func(*Webhook)) (*State, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	defer f.Close()

	var st State
	first := func(w *Webhook) { st.Webhooks = append(st.Webhooks, w) }
	if each != nil {
		first = func(*Webhook) {}
	}
	in := &fileReader{f: f}
	if err := decode(in, first, &st); err != nil {
		// Only a corrupt file is copied aside and replaced by the backup, not an unreadable one.
		if in.err != nil {
			return nil, fmt.Errorf("read state: %w", in.err)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if each == nil {
		return &st, nil
	}

	// The file checked above is still the open one, because a save replaces it by a rename.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	if err := decode(in, each, &State{}); err != nil {
		return nil, fmt.Errorf("read state %s a second time: %w", path, err)
	}
	return &st, nil
}

// fileReader is a file reader that keeps the first error other than the end of the file.
type fileReader struct {
	f   *os.File
	err error
}

func (r *fileReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// decode reads a state file like json.Unmarshal into a State, but passes each webhook
// to each instead of keeping it and rejects a duplicate "webhooks" key, which Unmarshal
// would let replace the first. It also checks the version and every webhook's id.
func decode(r io.Reader, each func(*Webhook), st *State) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	webhooks := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		switch {
		case strings.EqualFold(key, "version"):
			err = dec.Decode(&st.Version)
		case strings.EqualFold(key, "webhooks"):
			if webhooks {
				return errors.New(`duplicate "webhooks" key`)
			}
			webhooks = true
			err = decodeWebhooks(dec, each)
		case strings.EqualFold(key, "ignored"):
			err = dec.Decode(&st.Ignored)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the state object")
	}
	if st.Version != version {
		return fmt.Errorf("unsupported version %d, expected %d", st.Version, version)
	}
	return nil
}

// decodeWebhooks reads the value of the "webhooks" key: null or an array of webhooks.
func decodeWebhooks(dec *json.Decoder, each func(*Webhook)) error {
	tok, err := dec.Token()
	if err != nil || tok == nil {
		return err
	}
	if tok != json.Delim('[') {
		return fmt.Errorf(`"webhooks" is %v, expected an array`, tok)
	}
	for dec.More() {
		var w *Webhook
		if err := dec.Decode(&w); err != nil {
			return err
		}
		if w == nil || len(w.ID) < 32 {
			return errors.New("a webhook has no valid id")
		}
		each(w)
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("found %v, expected %v", tok, want)
	}
	return nil
}

// Save writes the state to dir atomically and keeps the previous file as a backup.
func Save(dir string, st *State) error {
	return SaveEach(dir, slices.Values(st.Webhooks), st.Ignored)
}

// SaveEach is Save for webhooks that come one at a time, so that the caller can build
// each one just before it is written. Only one webhook's encoding is in memory at a time.
// SaveEach is done with a webhook before it takes the next, so the caller may reuse one.
func SaveEach(dir string, webhooks iter.Seq[*Webhook], ignored []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	tmp, err := os.CreateTemp(dir, FileName+".tmp-*")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := encode(tmp, webhooks, ignored); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if known.good(path) || readable(path) {
		// Only a readable file becomes the backup, so a corrupt one never replaces a good one.
		if err := os.Rename(path, path+".bak"); err != nil {
			return fmt.Errorf("keep state backup: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace state: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	known.record(path)
	return nil
}

// readable reports whether the file at path is a state file that Load accepts.
func readable(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return decode(f, func(*Webhook) {}, &State{}) == nil
}

// encode writes the state as json.Marshal of a State would, one webhook at a time.
func encode(f *os.File, webhooks iter.Seq[*Webhook], ignored []string) error {
	w := bufio.NewWriterSize(f, 64<<10)
	fmt.Fprintf(w, `{"version":%d,"webhooks":[`, version)
	first := true
	var enc webhookEncoder
	for h := range webhooks {
		data, err := enc.encode(h)
		if err != nil {
			return fmt.Errorf("encode webhook: %w", err)
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		w.Write(data)
	}
	w.WriteByte(']')
	if len(ignored) > 0 {
		data, err := json.Marshal(ignored)
		if err != nil {
			return fmt.Errorf("encode ignored adapters: %w", err)
		}
		w.WriteString(`,"ignored":`)
		w.Write(data)
	}
	w.WriteByte('}')
	return w.Flush()
}

// known remembers the state files this process wrote or read as valid. Before a save,
// the file about to become the backup must be valid, and a file that is still the one
// remembered needs no second parse, which at 10,000 adapters costs as much as the save.
var known = fileStamps{stamps: make(map[string]os.FileInfo)}

type fileStamps struct {
	mu     sync.Mutex
	stamps map[string]os.FileInfo
}

// record remembers the file at path as valid.
func (k *fileStamps) record(path string) {
	info, err := os.Stat(path)
	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		delete(k.stamps, path)
		return
	}
	k.stamps[path] = info
}

// good reports whether the file at path is the same file, with the same size and
// modification time, as the one recorded.
// NOTE: a rewrite in place with the same size within one tick of the file system's
// clock (a few milliseconds on ext4) would pass unparsed.
func (k *fileStamps) good(path string) bool {
	info, err := os.Stat(path)
	if err != nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	prev, ok := k.stamps[path]
	return ok && os.SameFile(prev, info) && prev.Size() == info.Size() &&
		prev.ModTime().Equal(info.ModTime())
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync data directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync data directory: %w", err)
	}
	return nil
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o600)
}
