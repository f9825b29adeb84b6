package sync

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
)

// FileConfig configures a FileSource.
type FileConfig struct {
	// Path is the snapshot file (JSON or YAML, protobuf JSON form).
	Path string
	// Applier receives each new content of the file.
	Applier Applier
	// Logger logs loads and rejections.
	Logger logr.Logger
	// Interval is how often the file is checked (default 1s).
	Interval time.Duration
}

// FileSource is standalone mode: it loads a snapshot from a file and reloads it whenever
// the file's content changes. A bad content is logged and skipped; the last good snapshot
// keeps serving.
//
// FileSource is a prometheus.Collector of claimgate_proxy_snapshot_file_errors_total:
// register it to export the count of file checks that left the last good snapshot serving.
type FileSource struct {
	cfg    FileConfig
	last   [sha256.Size]byte
	seen   bool
	errors *prometheus.CounterVec
}

// Reasons of claimgate_proxy_snapshot_file_errors_total.
const (
	fileErrRead   = "read"   // the file could not be read (counted on every check)
	fileErrDecode = "decode" // its new content is not a snapshot
	fileErrApply  = "apply"  // the applier rejected the new snapshot
)

// NewFileSource returns a FileSource; Load or Start read the file.
func NewFileSource(cfg FileConfig) *FileSource {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "claimgate_proxy_snapshot_file_errors_total",
		Help: "Checks of the snapshot file that kept the last good snapshot serving, by reason: " +
			"read (the file could not be read), decode (its new content is not a snapshot), " +
			"apply (the proxy rejected the new snapshot).",
	}, []string{"reason"})
	for _, r := range []string{fileErrRead, fileErrDecode, fileErrApply} {
		errs.WithLabelValues(r)
	}
	return &FileSource{cfg: cfg, errors: errs}
}

// Describe implements prometheus.Collector.
func (f *FileSource) Describe(ch chan<- *prometheus.Desc) { f.errors.Describe(ch) }

// Collect implements prometheus.Collector.
func (f *FileSource) Collect(ch chan<- prometheus.Metric) { f.errors.Collect(ch) }

// Load reads the file and applies it when its content changed since the last call.
// It is not safe for concurrent use; Start calls it on every tick. A failure is counted
// once Load is done with the content.
func (f *FileSource) Load() error {
	reason, err := f.load()
	if err != nil {
		f.errors.WithLabelValues(reason).Inc()
	}
	return err
}

// load does Load's work; on error it also returns the metric's reason.
func (f *FileSource) load() (reason string, err error) {
	data, err := os.ReadFile(f.cfg.Path)
	if err != nil {
		return fileErrRead, fmt.Errorf("reading snapshot file %s: %w", f.cfg.Path, err)
	}
	sum := sha256.Sum256(data)
	if f.seen && sum == f.last {
		return "", nil
	}
	f.last, f.seen = sum, true
	s, err := Decode(data)
	if err != nil {
		return fileErrDecode, fmt.Errorf("snapshot file %s: %w", f.cfg.Path, err)
	}
	if err := f.cfg.Applier.Apply(s); err != nil {
		return fileErrApply, fmt.Errorf("snapshot file %s version %s rejected: %w", f.cfg.Path, s.GetVersion(), err)
	}
	f.cfg.Logger.Info("snapshot applied", "file", f.cfg.Path, "version", s.GetVersion(),
		"gateway", s.GetGatewayNamespace()+"/"+s.GetGatewayName())
	return "", nil
}

// Start loads the file, then checks it every Interval until ctx ends.
func (f *FileSource) Start(ctx context.Context) error {
	t := time.NewTicker(f.cfg.Interval)
	defer t.Stop()
	for {
		if err := f.Load(); err != nil {
			f.cfg.Logger.Error(err, "keeping the last good snapshot", "serving", f.cfg.Applier.Version())
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return nil
			}
			return ctx.Err()
		case <-t.C:
		}
	}
}
