// Command proxy is claimgate's data plane: it serves one Gateway's listeners, enforcing
// JWT authentication and claim authorization before forwarding to LLM providers. It gets
// its configuration from the controller (--controller, mTLS) or from a file (--config).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/claimgate/claimgate/cmd/internal/linebuf"
	"github.com/claimgate/claimgate/cmd/internal/memlimit"
	"github.com/claimgate/claimgate/dataplane/authn"
	"github.com/claimgate/claimgate/dataplane/proxy"
	dpsync "github.com/claimgate/claimgate/dataplane/sync"
)

// accessLogBuffer is how many bytes of access-log lines wait for the flush interval
// before they are written anyway.
const accessLogBuffer = 64 << 10

type flags struct {
	gateway, instance, controller string
	ca, cert, key, serverName     string
	insecure                      bool
	config, adminAddr, logLevel   string
	listenHost, listenPorts       string
	accessLog, pprof              bool
	shutdownTimeout, drainDelay   time.Duration
	accessLogFlush                time.Duration
	bodyTimeout                   time.Duration
	usageClaim                    string
	moderationURL                 string
	maxBufferedBodyBytes          int64
}

func parseFlags() flags {
	host, _ := os.Hostname()
	var f flags
	flag.StringVar(&f.gateway, "gateway", "", "namespace/name of the Gateway this proxy serves (with --controller)")
	flag.StringVar(&f.instance, "instance", host, "this proxy's name among the Gateway's proxies")
	flag.StringVar(&f.controller, "controller", "", "controller SnapshotService address host:port")
	flag.StringVar(&f.ca, "ca", "", "CA certificate file verifying the controller")
	flag.StringVar(&f.cert, "cert", "", "client certificate file for mTLS")
	flag.StringVar(&f.key, "key", "", "client private key file for mTLS")
	flag.StringVar(&f.serverName, "server-name", "", "name expected in the controller's certificate (default: its host)")
	flag.BoolVar(&f.insecure, "insecure", false, "talk to the controller in plaintext (development only)")
	flag.StringVar(&f.config, "config", "", "standalone mode: snapshot file (JSON or YAML), reloaded on change")
	flag.StringVar(&f.adminAddr, "admin-addr", "127.0.0.1:9901", "address of /healthz, /readyz and /metrics")
	flag.StringVar(&f.logLevel, "log-level", "info", "debug, info or error")
	flag.StringVar(&f.listenHost, "listen-host", "", "address the listeners bind to (default: every interface)")
	flag.StringVar(&f.listenPorts, "listen-ports", "", "comma-separated ports opened at start, answering 503 until a snapshot arrives")
	flag.BoolVar(&f.accessLog, "access-log", true, "write one JSON line per request to stdout")
	flag.DurationVar(&f.accessLogFlush, "access-log-flush-interval", time.Second,
		"how long access-log lines may wait to be written together (0: each at once)")
	flag.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 15*time.Second, "time in-flight requests get on shutdown")
	flag.DurationVar(&f.drainDelay, "drain-delay", 0, "on SIGTERM, report not ready and keep serving this long before closing listeners")
	flag.DurationVar(&f.bodyTimeout, "body-timeout", time.Minute, "longest time a request body may take to arrive")
	flag.BoolVar(&f.pprof, "pprof", false, "also serve Go's profiles under /debug/pprof/ on the admin address (for profiling; off in production)")
	flag.StringVar(&f.moderationURL, "moderation-url", "https://api.openai.com", "base URL of OpenAI's moderation API, for prompt guards' moderation (POST <url>/v1/moderations)")
	flag.StringVar(&f.usageClaim, "usage-metrics-claim", "", "JWT claim (such as team) whose value labels the token usage metrics (at most 100 values)")
	flag.Int64Var(&f.maxBufferedBodyBytes, "max-buffered-body-bytes", 256<<20,
		"bound on the memory all request bodies read into memory hold at once; past it such requests get 503")
	flag.Parse()
	return f
}

func main() {
	f := parseFlags()
	log, err := newLogger(f.logLevel)
	if err == nil {
		err = run(f, log)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

func newLogger(level string) (logr.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return logr.Logger{}, fmt.Errorf("--log-level: %w", err)
	}
	return logr.FromSlogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

func run(f flags, log logr.Logger) error {
	ports, err := parsePorts(f.listenPorts)
	if err != nil {
		return err
	}
	memlimit.Apply(log)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	auth := authn.New(authn.Config{Logger: log.WithName("authn"), Registerer: reg})
	cfg := proxy.Config{
		Authenticator: auth, Logger: log.WithName("proxy"), Registerer: reg,
		ListenHost: f.listenHost, InitialPorts: ports, ShutdownTimeout: f.shutdownTimeout,
		BodyTimeout: f.bodyTimeout, MaxBufferedBodyBytes: f.maxBufferedBodyBytes, UsageClaim: f.usageClaim,
		ModerationURL: f.moderationURL,
	}
	if f.accessLog {
		var flush func()
		cfg.AccessLog, flush = accessLog(f.accessLogFlush, log)
		defer flush() // after the last request
	}
	srv, err := proxy.New(cfg)
	if err != nil {
		return err
	}
	source, err := newSource(f, srv, reg, log.WithName("sync"))
	if err != nil {
		return err
	}
	ctx := drainOnSignal(srv, f.drainDelay, log)
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return auth.Start(ctx) })
	g.Go(func() error { return srv.Start(ctx) })
	g.Go(func() error { return source(ctx) })
	admin := srv.AdminHandler(reg)
	if f.pprof {
		admin = withProfiles(admin)
	}
	g.Go(func() error { return serveAdmin(ctx, f.adminAddr, admin) })
	log.Info("proxy started", "admin", f.adminAddr, "instance", f.instance)
	return g.Wait()
}

// accessLog is the logger of one JSON line per request on stdout, its lines written
// together every flush interval (each at once when it is 0), and what writes out the
// ones still waiting.
func accessLog(flush time.Duration, log logr.Logger) (logr.Logger, func()) {
	out, done := io.Writer(os.Stdout), func() {}
	if flush > 0 {
		lines := linebuf.New(os.Stdout, flush, accessLogBuffer, func(err error) {
			log.Error(err, "writing the access log; lines were lost")
		})
		out, done = lines, lines.Close
	}
	return logr.FromSlogHandler(slog.NewJSONHandler(out, nil)).WithName("access"), done
}

// newSource returns the runner that feeds snapshots to srv: the file or the controller.
func newSource(f flags, srv *proxy.Server, reg prometheus.Registerer, log logr.Logger) (func(context.Context) error, error) {
	switch {
	case f.config != "" && f.controller != "":
		return nil, errors.New("--config and --controller are exclusive")
	case f.config != "":
		fs := dpsync.NewFileSource(dpsync.FileConfig{Path: f.config, Applier: srv, Logger: log})
		if err := reg.Register(fs); err != nil {
			return nil, fmt.Errorf("registering the snapshot file metrics: %w", err)
		}
		return fs.Start, nil
	case f.controller == "":
		return nil, errors.New("one of --config or --controller is required")
	}
	ns, name, ok := strings.Cut(f.gateway, "/")
	if !ok || ns == "" || name == "" {
		return nil, fmt.Errorf("--gateway %q is not namespace/name", f.gateway)
	}
	var creds credentials.TransportCredentials
	if f.insecure {
		creds = insecure.NewCredentials()
	} else {
		var err error
		creds, err = dpsync.ClientCredentials(dpsync.TLSFiles{CA: f.ca, Cert: f.cert, Key: f.key, ServerName: f.serverName})
		if err != nil {
			return nil, err
		}
	}
	c, err := dpsync.NewClient(dpsync.ClientConfig{
		Address: f.controller, Credentials: creds, GatewayNamespace: ns, GatewayName: name,
		Instance: f.instance, Applier: srv, Logger: log, Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	return c.Start, nil
}

// drainOnSignal returns a context that ends drainDelay after SIGTERM or SIGINT; in
// between the proxy reports not ready but keeps serving.
func drainOnSignal(srv *proxy.Server, drainDelay time.Duration, log logr.Logger) context.Context {
	sigCtx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-sigCtx.Done()
		stop()
		srv.Drain()
		log.Info("shutting down", "drainDelay", drainDelay.String())
		time.Sleep(drainDelay)
		cancel()
	}()
	return ctx
}

func parsePorts(s string) ([]uint32, error) {
	var out []uint32
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("--listen-ports: %q is not a port", p)
		}
		out = append(out, uint32(n))
	}
	return out, nil
}

func serveAdmin(ctx context.Context, addr string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("admin server on %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
