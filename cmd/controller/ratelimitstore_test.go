package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStoreFlags(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600))
	parse := func(args ...string) *storeFlags {
		fs := flag.NewFlagSet("controller", flag.ContinueOnError)
		var s storeFlags
		s.register(fs)
		require.NoError(t, fs.Parse(args))
		return &s
	}
	st, err := parse().store()
	require.NoError(t, err)
	require.Nil(t, st, "no address: counters in each proxy")

	t.Setenv(redisPasswordEnv, "s3cret")
	st, err = parse("--rate-limit-redis-address=a:6379, b:6379", "--rate-limit-redis-cluster", "--rate-limit-redis-ca-file="+ca, "--rate-limit-deny-on-fail").store()
	require.NoError(t, err)
	r := st.GetRedis()
	require.Equal(t, []string{"a:6379", "b:6379"}, r.GetAddresses())
	require.True(t, r.GetCluster())
	require.True(t, r.GetTls(), "a CA means TLS")
	require.True(t, r.GetDenyOnFail())
	require.Equal(t, "s3cret", r.GetPassword(), "the password comes from the environment")
	require.Equal(t, "-----BEGIN CERTIFICATE-----\n", string(r.GetCaPem()))

	_, err = parse("--rate-limit-deny-on-fail").store()
	require.ErrorContains(t, err, "without --rate-limit-redis-address")
	_, err = parse("--rate-limit-redis-address=a:1", "--rate-limit-redis-ca-file=/nonexistent").store()
	require.ErrorContains(t, err, "--rate-limit-redis-ca-file")
	require.NotContains(t, err.Error(), "s3cret")
}
