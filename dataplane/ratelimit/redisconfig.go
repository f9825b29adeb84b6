package ratelimit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"
)

// Defaults of RedisConfig.
const (
	// DefaultRedisKeyPrefix starts every counter's key in Redis.
	DefaultRedisKeyPrefix = "claimgate:rl:"
	// DefaultRedisDialTimeout bounds connecting to one node, TLS handshake and AUTH
	// included.
	DefaultRedisDialTimeout = 250 * time.Millisecond
	// DefaultRedisRoundTripTimeout bounds one Apply's round trip once connected.
	DefaultRedisRoundTripTimeout = 100 * time.Millisecond
)

// redisReconnectEvery is how often a store that could not connect at all tries again.
const redisReconnectEvery = time.Second

// RedisConfig configures a RedisStore.
type RedisConfig struct {
	// Addresses are the servers, as host:port: one is a standalone server (unless
	// Cluster), several are nodes of a cluster, from which the others are discovered.
	Addresses []string
	// Cluster treats a single address as a node of a cluster.
	Cluster bool
	// Username and Password authenticate (AUTH); an empty Username with a Password is
	// the default user (requirepass). Neither is ever logged or put in an error.
	Username, Password string
	// DB selects the database of a standalone server; a cluster has only 0.
	DB int
	// TLS, when set, connects with TLS.
	TLS *RedisTLS
	// KeyPrefix starts every counter's key (default DefaultRedisKeyPrefix), so that
	// several deployments can share a server.
	KeyPrefix string
	// DialTimeout bounds connecting to one node (default DefaultRedisDialTimeout).
	DialTimeout time.Duration
	// RoundTripTimeout bounds one Apply once connected (default
	// DefaultRedisRoundTripTimeout): past it Apply returns an error, and the Limiter
	// lets the request through or denies it (Config.DenyOnFail).
	RoundTripTimeout time.Duration
	// OverLimitKeys bounds the memory of counters known to be over their limit
	// (default DefaultOverLimitKeys); negative turns it off.
	OverLimitKeys int
	// Registerer, when set, registers the store's claimgate_proxy_ratelimit_redis_*
	// collectors.
	Registerer prometheus.Registerer
	// Now is the clock that ends the windows of the over-limit memory; nil means
	// time.Now.
	Now func() time.Time

	// wrapConn, in tests, wraps every connection to a server.
	wrapConn func(net.Conn) net.Conn
}

// RedisTLS configures TLS to the servers.
type RedisTLS struct {
	// CA holds the PEM certificates that sign the servers' certificates; empty means
	// the system's roots.
	CA []byte
	// ServerName is the name the servers' certificates must carry; empty means the
	// host of the address dialled (a cluster's nodes are dialled by the addresses
	// they announce).
	ServerName string
	// Certificate and Key, PEM, are the client's certificate for servers that
	// authenticate clients (tls-auth-clients); both or neither.
	Certificate, Key []byte
}

// clientOption turns cfg, with its defaults set, into the client's options.
func (cfg *RedisConfig) clientOption() (rueidis.ClientOption, error) {
	var opt rueidis.ClientOption
	if len(cfg.Addresses) == 0 {
		return opt, errors.New("no redis address")
	}
	for i, a := range cfg.Addresses {
		// The address is not quoted: a malformed one may hold credentials.
		if _, _, err := net.SplitHostPort(a); err != nil {
			return opt, fmt.Errorf("redis address %d is not host:port", i+1)
		}
	}
	cluster := cfg.Cluster || len(cfg.Addresses) > 1
	if cluster && cfg.DB != 0 {
		return opt, errors.New("a redis cluster has no database but 0")
	}
	tlsConfig, err := cfg.TLS.config()
	if err != nil {
		return opt, err
	}
	opt = rueidis.ClientOption{
		InitAddress:       cfg.Addresses,
		ForceSingleClient: !cluster,
		Username:          cfg.Username,
		Password:          cfg.Password,
		SelectDB:          cfg.DB,
		ClientName:        "claimgate-proxy",
		ClientSetInfo:     rueidis.DisableClientSetInfo,
		TLSConfig:         tlsConfig,
		Dialer:            net.Dialer{Timeout: cfg.DialTimeout},
		// An unresponsive server's connections are dropped after ten round trips'
		// worth of silence; each Apply gives up after one.
		ConnWriteTimeout:    max(10*cfg.RoundTripTimeout, time.Second),
		DisableCache:        true,
		DisableRetry:        true, // a failed count is not retried: the Limiter decides
		ReadBufferEachConn:  64 << 10,
		WriteBufferEachConn: 64 << 10,
		// One pipelined connection per node: Redis answers one command at a time
		// anyway, and the commands of concurrent requests then share its writes and
		// reads (fewer system calls and hand-offs per request than two connections).
		PipelineMultiplex: -1,
	}
	if wrap := cfg.wrapConn; wrap != nil {
		opt.DialCtxFn = func(ctx context.Context, addr string, d *net.Dialer, tc *tls.Config) (net.Conn, error) {
			var c net.Conn
			var err error
			if tc != nil {
				c, err = (&tls.Dialer{NetDialer: d, Config: tc}).DialContext(ctx, "tcp", addr)
			} else {
				c, err = d.DialContext(ctx, "tcp", addr)
			}
			if err != nil {
				return nil, err
			}
			return wrap(c), nil
		}
	}
	return opt, nil
}

func (t *RedisTLS) config() (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if len(t.CA) > 0 {
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(t.CA) {
			return nil, errors.New("redis TLS CA holds no PEM certificate")
		}
	}
	if len(t.Certificate) > 0 || len(t.Key) > 0 {
		cert, err := tls.X509KeyPair(t.Certificate, t.Key)
		if err != nil {
			return nil, fmt.Errorf("loading the redis TLS client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}
