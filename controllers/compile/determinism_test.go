package compile

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/types"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// TestShuffledInputsGiveIdenticalOutput compiles every golden case and a generated
// one with each input slice shuffled under several seeds, and requires byte-identical
// snapshots and identical statuses.
func TestShuffledInputsGiveIdenticalOutput(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	require.NoError(t, err)
	inputs := map[string]Inputs{"generated-200-routes": generateInputs(200)}
	for _, path := range cases {
		inputs[strings.TrimSuffix(filepath.Base(path), ".in.yaml")] = loadInputs(t, path)
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			want := Compile(in)
			wantBytes := marshalSnapshots(t, want)
			for seed := uint64(1); seed <= 5; seed++ {
				got := Compile(shuffled(in, seed))
				require.Equal(t, wantBytes, marshalSnapshots(t, got), "seed %d", seed)
				want.Snapshots, got.Snapshots = nil, nil
				require.Equal(t, want, got, "statuses differ with seed %d", seed)
				want = Compile(in)
			}
		})
	}
}

func marshalSnapshots(t *testing.T, res Result) map[types.NamespacedName][]byte {
	t.Helper()
	out := map[types.NamespacedName][]byte{}
	for k, s := range res.Snapshots {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(s)
		require.NoError(t, err)
		out[k] = b
	}
	return out
}

// shuffled returns a copy of in with every slice in a random order.
func shuffled(in Inputs, seed uint64) Inputs {
	r := rand.New(rand.NewPCG(seed, seed*7919))
	out := in
	out.GatewayClasses = shuffleCopy(r, in.GatewayClasses)
	out.Gateways = shuffleCopy(r, in.Gateways)
	out.HTTPRoutes = shuffleCopy(r, in.HTTPRoutes)
	out.ReferenceGrants = shuffleCopy(r, in.ReferenceGrants)
	out.Services = shuffleCopy(r, in.Services)
	out.Secrets = shuffleCopy(r, in.Secrets)
	out.VirtualHostOptions = shuffleCopy(r, in.VirtualHostOptions)
	out.RouteOptions = shuffleCopy(r, in.RouteOptions)
	out.Upstreams = shuffleCopy(r, in.Upstreams)
	out.RateLimitConfigs = shuffleCopy(r, in.RateLimitConfigs)
	out.Namespaces = shuffleCopy(r, in.Namespaces)
	return out
}

func shuffleCopy[T any](r *rand.Rand, in []T) []T {
	out := append([]T(nil), in...)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestVersionMatchesContract checks that the compiler's version is the contract's
// content hash (snapshotv1.ComputeVersion), and that the encoding it hands out decodes
// to the snapshot, version included.
func TestVersionMatchesContract(t *testing.T) {
	res := Compile(generateInputs(50))
	require.NotEmpty(t, res.Snapshots)
	for key, snap := range res.Snapshots {
		want, err := snapshotv1.ComputeVersion(snap)
		require.NoError(t, err)
		require.Equal(t, want, snap.Version, key.String())
		var decoded snapshotv1.Snapshot
		require.NoError(t, proto.Unmarshal(res.Encoded[key], &decoded), key.String())
		require.True(t, proto.Equal(snap, &decoded), "the encoding of %s decodes to the snapshot", key)
	}
}
