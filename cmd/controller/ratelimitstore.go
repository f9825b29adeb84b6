package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// redisPasswordEnv names the environment variable holding the Redis password: the
// chart sets it from a Secret, so it is in no flag, log or process listing.
const redisPasswordEnv = "CLAIMGATE_RATE_LIMIT_REDIS_PASSWORD" //nolint:gosec // the name of a variable, not a credential

// storeFlags configure where proxies keep rate-limit counters.
type storeFlags struct {
	addresses, username, caFile, serverName string
	cluster, tls, denyOnFail                bool
	db                                      uint
}

func (s *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.addresses, "rate-limit-redis-address", "", "comma-separated host:port of the Redis server or cluster proxies share rate-limit counters through (empty: each proxy counts in memory); the password is read from $"+redisPasswordEnv)
	fs.BoolVar(&s.cluster, "rate-limit-redis-cluster", false, "the Redis addresses are a Redis Cluster")
	fs.StringVar(&s.username, "rate-limit-redis-username", "", "Redis ACL user name")
	fs.UintVar(&s.db, "rate-limit-redis-db", 0, "Redis database of a standalone server")
	fs.BoolVar(&s.tls, "rate-limit-redis-tls", false, "speak TLS to Redis")
	fs.StringVar(&s.caFile, "rate-limit-redis-ca-file", "", "PEM file of the CA that verifies Redis (default: the system roots)")
	fs.StringVar(&s.serverName, "rate-limit-redis-server-name", "", "TLS server name of Redis (default: the address's host)")
	fs.BoolVar(&s.denyOnFail, "rate-limit-deny-on-fail", false, "refuse requests (500) whose rate limits Redis cannot count (default: let them pass)")
}

// store returns the snapshot's rate-limit store, nil for counters in each proxy. Errors
// name the flag, never the password.
func (s *storeFlags) store() (*snapshotv1.RateLimitStore, error) {
	if s.addresses == "" {
		if s.cluster || s.tls || s.username != "" || s.caFile != "" || s.denyOnFail {
			return nil, fmt.Errorf("--rate-limit-redis-* flags are set without --rate-limit-redis-address")
		}
		return nil, nil
	}
	r := &snapshotv1.RedisStore{
		Cluster: s.cluster, Username: s.username, Password: os.Getenv(redisPasswordEnv), Db: uint32(s.db),
		Tls: s.tls || s.caFile != "", ServerName: s.serverName, DenyOnFail: s.denyOnFail,
	}
	for _, a := range strings.Split(s.addresses, ",") {
		if a = strings.TrimSpace(a); a != "" {
			r.Addresses = append(r.Addresses, a)
		}
	}
	if s.caFile != "" {
		ca, err := os.ReadFile(s.caFile)
		if err != nil {
			return nil, fmt.Errorf("--rate-limit-redis-ca-file: %w", err)
		}
		r.CaPem = ca
	}
	return &snapshotv1.RateLimitStore{Redis: r}, nil
}
