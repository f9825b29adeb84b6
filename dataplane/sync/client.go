package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// Address is the controller's SnapshotService address (host:port).
	Address string
	// Credentials secure the connection: ClientCredentials for mTLS, or
	// insecure.NewCredentials() when plaintext was asked for explicitly.
	Credentials credentials.TransportCredentials
	// GatewayNamespace and GatewayName name the Gateway this proxy serves.
	GatewayNamespace, GatewayName string
	// Instance identifies this proxy among the Gateway's proxies.
	Instance string
	// Applier installs received snapshots.
	Applier Applier
	// Logger logs connections, snapshots and rejections.
	Logger logr.Logger
	// Registerer receives the stream's metrics; nil means they are not exported.
	Registerer prometheus.Registerer
	// MinBackoff and MaxBackoff bound the delay between reconnections (default 250ms, 30s).
	MinBackoff, MaxBackoff time.Duration
}

// Client keeps a SnapshotService stream open and applies what arrives on it. While
// disconnected the proxy keeps serving its last good snapshot.
type Client struct {
	cfg     ClientConfig
	metrics *streamMetrics
}

// NewClient validates cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	switch {
	case cfg.Address == "":
		return nil, errors.New("controller address is empty")
	case cfg.Credentials == nil:
		return nil, errors.New("transport credentials are required")
	case cfg.GatewayNamespace == "" || cfg.GatewayName == "":
		return nil, errors.New("gateway namespace and name are required")
	case cfg.Applier == nil:
		return nil, errors.New("an applier is required")
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 250 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(30*time.Second, cfg.MinBackoff)
	}
	m, err := newStreamMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, metrics: m}, nil
}

// MaxSnapshotBytes is the largest snapshot message a proxy accepts; the controller's
// send limit is the same.
const MaxSnapshotBytes = 64 << 20

// Start streams snapshots until ctx ends, reconnecting with backoff.
func (c *Client) Start(ctx context.Context) error {
	conn, err := grpc.NewClient(c.cfg.Address,
		grpc.WithTransportCredentials(c.cfg.Credentials),
		// Notice a controller that vanished without closing the connection. The interval
		// stays above gRPC servers' default minimum (5m) so pings are never refused.
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 6 * time.Minute, Timeout: 20 * time.Second}),
		// A snapshot of 10,000 routes is several MiB: accept what the controller may send.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxSnapshotBytes)))
	if err != nil {
		return fmt.Errorf("dialing controller %s: %w", c.cfg.Address, err)
	}
	defer conn.Close()
	client := snapshotv1.NewSnapshotServiceClient(conn)
	bo := backoff{min: c.cfg.MinBackoff, max: c.cfg.MaxBackoff}
	for {
		received, err := c.stream(ctx, client)
		if ctx.Err() != nil {
			return nil
		}
		if received {
			bo.reset()
		}
		delay := bo.next()
		c.cfg.Logger.Error(err, "snapshot stream ended; serving the last good snapshot",
			"controller", c.cfg.Address, "retryIn", delay.String(), "serving", c.cfg.Applier.Version())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
	}
}

// stream runs one stream until it fails; received reports whether a snapshot arrived.
func (c *Client) stream(ctx context.Context, client snapshotv1.SnapshotServiceClient) (received bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.metrics.attempts.Inc()
	st, err := client.Stream(ctx)
	if err != nil {
		return false, fmt.Errorf("opening stream: %w", err)
	}
	_, patches := c.cfg.Applier.(LayoutApplier)
	hello := &snapshotv1.Hello{
		GatewayNamespace: c.cfg.GatewayNamespace, GatewayName: c.cfg.GatewayName,
		Instance: c.cfg.Instance, CurrentVersion: c.cfg.Applier.Version(), AcceptsPatches: patches,
	}
	if err := st.Send(&snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Hello{Hello: hello}}); err != nil {
		return false, fmt.Errorf("sending hello: %w", err)
	}
	c.metrics.connected.Set(1)
	defer c.metrics.connected.Set(0)
	c.cfg.Logger.Info("connected to controller", "controller", c.cfg.Address,
		"gateway", c.cfg.GatewayNamespace+"/"+c.cfg.GatewayName, "instance", c.cfg.Instance)
	for {
		resp, err := st.Recv()
		if err != nil {
			return received, fmt.Errorf("receiving: %w", err)
		}
		var answer *snapshotv1.StreamRequest
		switch {
		case resp.GetPatch() != nil:
			answer = c.handlePatch(resp.GetPatch())
		case resp.GetSnapshot() != nil:
			answer = c.handle(resp.GetSnapshot())
		default:
			continue
		}
		received = true
		if err := st.Send(answer); err != nil {
			return received, fmt.Errorf("answering snapshot: %w", err)
		}
	}
}

// handle applies s and returns the Ack or Nack to send.
func (c *Client) handle(s *snapshotv1.Snapshot) *snapshotv1.StreamRequest {
	start := time.Now()
	err := c.check(s)
	if err == nil && s.GetVersion() != c.cfg.Applier.Version() {
		err = c.cfg.Applier.Apply(s)
	}
	return c.answer(s.GetVersion(), start, err)
}

// answer is the Ack of version, applied since start, or its Nack when err is set.
func (c *Client) answer(version string, start time.Time, err error) *snapshotv1.StreamRequest {
	if err != nil {
		c.metrics.nacks.Inc()
		c.cfg.Logger.Error(err, "snapshot rejected; keeping the last good one",
			"version", version, "serving", c.cfg.Applier.Version())
		return &snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Nack{
			Nack: &snapshotv1.Nack{Version: version, Error: err.Error()},
		}}
	}
	c.cfg.Logger.Info("snapshot applied", "version", version, "took", time.Since(start).Round(time.Microsecond))
	return &snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Ack{Ack: &snapshotv1.Ack{Version: version}}}
}

// handlePatch makes the snapshot p carries and applies it. A patch against a snapshot
// the proxy does not serve, or making bytes that are not its version, is answered with
// a Nack asking for the snapshot whole; a snapshot that is wrong is rejected.
func (c *Client) handlePatch(p *snapshotv1.SnapshotPatch) *snapshotv1.StreamRequest {
	start := time.Now()
	la, ok := c.cfg.Applier.(LayoutApplier)
	if !ok {
		return c.answer(p.GetVersion(), start, errors.New("this proxy does not read patches"))
	}
	var base []byte
	if p.GetBaseVersion() != "" {
		if base = la.Encoding(); base == nil || la.Version() != p.GetBaseVersion() {
			return c.resendWhole(p, fmt.Errorf("the patch is against %s, this proxy serves %q", p.GetBaseVersion(), la.Version()))
		}
	}
	enc, err := snapshotv1.ApplyPatch(base, p, MaxSnapshotBytes)
	if err != nil && base != nil {
		return c.resendWhole(p, err)
	}
	var l *snapshotv1.Layout
	if err == nil {
		l, err = snapshotv1.ReadLayout(enc)
	}
	if err == nil {
		err = c.check(&snapshotv1.Snapshot{Version: l.Version, GatewayNamespace: l.GatewayNamespace, GatewayName: l.GatewayName})
	}
	if err == nil && l.Version != la.Version() {
		err = la.ApplyLayout(l, enc)
	}
	return c.answer(p.GetVersion(), start, err)
}

// resendWhole is the Nack asking for p's snapshot whole, err saying why.
func (c *Client) resendWhole(p *snapshotv1.SnapshotPatch, err error) *snapshotv1.StreamRequest {
	c.metrics.wholeAsked.Inc()
	c.cfg.Logger.Info("asking for the snapshot whole", "version", p.GetVersion(), "reason", err.Error())
	return &snapshotv1.StreamRequest{Kind: &snapshotv1.StreamRequest_Nack{
		Nack: &snapshotv1.Nack{Version: p.GetVersion(), Error: err.Error(), ResendWhole: true},
	}}
}

// check rejects a snapshot meant for another Gateway or without a version.
func (c *Client) check(s *snapshotv1.Snapshot) error {
	if s.GetVersion() == "" {
		return errors.New("snapshot has no version")
	}
	if s.GetGatewayNamespace() != c.cfg.GatewayNamespace || s.GetGatewayName() != c.cfg.GatewayName {
		return fmt.Errorf("snapshot is for gateway %s/%s, this proxy serves %s/%s",
			s.GetGatewayNamespace(), s.GetGatewayName(), c.cfg.GatewayNamespace, c.cfg.GatewayName)
	}
	return nil
}
