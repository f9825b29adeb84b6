package linebuf_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/cmd/internal/linebuf"
)

// recorder keeps every Write it receives.
type recorder struct {
	mu     sync.Mutex
	writes []string
	err    error
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return 0, r.err
	}
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

func TestLinesWaitForTheFlush(t *testing.T) {
	r := &recorder{}
	b := linebuf.New(r, time.Hour, 32, nil)
	defer b.Close()
	for _, line := range []string{"first line\n", "second line\n"} {
		n, err := b.Write([]byte(line))
		require.NoError(t, err)
		require.Equal(t, len(line), n)
	}
	require.Empty(t, r.got(), "nothing is written before the buffer fills or the interval ends")
	_, _ = b.Write([]byte("third line\n")) // 34 bytes with the two before: over 32
	require.Equal(t, []string{"first line\nsecond line\n"}, r.got(), "a full buffer goes out in one write")
	b.Flush()
	require.Equal(t, []string{"first line\nsecond line\n", "third line\n"}, r.got())
}

func TestLongerLinesGoOutWhole(t *testing.T) {
	r := &recorder{}
	b := linebuf.New(r, time.Hour, 16, nil)
	defer b.Close()
	_, _ = b.Write([]byte("short\n"))
	long := strings.Repeat("x", 40) + "\n"
	_, _ = b.Write([]byte(long))
	require.Equal(t, []string{"short\n", long}, r.got(), "what was held goes first, then the long line in one write")
}

func TestTheIntervalFlushes(t *testing.T) {
	r := &recorder{}
	b := linebuf.New(r, 10*time.Millisecond, 1<<10, nil)
	defer b.Close()
	_, _ = b.Write([]byte("a line\n"))
	require.Eventually(t, func() bool { return len(r.got()) == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"a line\n"}, r.got())
}

func TestCloseFlushesAndLaterWritesGoOutAtOnce(t *testing.T) {
	r := &recorder{}
	b := linebuf.New(r, time.Hour, 1<<10, nil)
	_, _ = b.Write([]byte("before\n"))
	b.Close()
	require.Equal(t, []string{"before\n"}, r.got())
	_, _ = b.Write([]byte("after\n"))
	require.Equal(t, []string{"before\n", "after\n"}, r.got())
	b.Close() // a second Close does nothing
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	r := &recorder{}
	b := linebuf.New(r, time.Millisecond, 512, nil)
	const writers, lines = 8, 500
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				_, _ = fmt.Fprintf(b, "writer %d line %d\n", w, i)
			}
		})
	}
	wg.Wait()
	b.Close()
	out := strings.Join(r.got(), "")
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var w, i int
		_, err := fmt.Sscanf(line, "writer %d line %d", &w, &i)
		require.NoError(t, err, "line %q", line)
		require.False(t, seen[line], "line %q twice", line)
		seen[line] = true
	}
	require.Len(t, seen, writers*lines)
}

func TestAFailingWriterIsReported(t *testing.T) {
	r := &recorder{err: errors.New("disk full")}
	var reported []error
	b := linebuf.New(r, time.Hour, 1<<10, func(err error) { reported = append(reported, err) })
	_, err := b.Write([]byte("lost\n"))
	require.NoError(t, err, "a write into the buffer does not fail")
	b.Flush()
	b.Flush() // nothing left to write
	_, _ = b.Write([]byte("lost too\n"))
	b.Flush()
	b.Close()
	require.Len(t, reported, 1, "reported once a minute at most")
	require.EqualError(t, reported[0], "disk full")
	require.False(t, bytes.Contains([]byte(strings.Join(r.got(), "")), []byte("lost")))
}

// BenchmarkAccessLogLine is what one access-log line costs the request writing it,
// written to a file at once ("direct") or through a Buffer ("buffered").
func BenchmarkAccessLogLine(b *testing.B) {
	for _, buffered := range []bool{false, true} {
		b.Run(map[bool]string{false: "direct", true: "buffered"}[buffered], func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
			require.NoError(b, err)
			defer f.Close()
			var w io.Writer = f
			if buffered {
				lb := linebuf.New(f, time.Second, 64<<10, nil)
				defer lb.Close()
				w = lb
			}
			log := slog.New(slog.NewJSONHandler(w, nil))
			b.ReportAllocs()
			for b.Loop() {
				log.Info("request", "method", "POST", "path", "/openai", "status", 200, "decision", "allowed", "route", "gloo-system/openai/rule/0/match/0")
			}
		})
	}
}

// TestOnErrorMayWriteToTheBuffer: the report of a failing writer runs outside the
// buffer's lock, so a logger writing its line to the same buffer does not deadlock.
func TestOnErrorMayWriteToTheBuffer(t *testing.T) {
	r := &recorder{err: errors.New("pipe closed")}
	var b *linebuf.Buffer
	reported := 0
	b = linebuf.New(r, time.Hour, 1<<10, func(err error) {
		reported++
		_, _ = fmt.Fprintf(b, "access log: %v\n", err)
	})
	_, _ = b.Write([]byte("a line\n"))
	done := make(chan struct{})
	go func() { b.Flush(); b.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Flush deadlocked on its own report")
	}
	require.Equal(t, 1, reported)
}
