package controllers_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/types"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// failoverUpstream is the tutorial's Upstream made a failover pool: openai-secret's
// key first, backup-secret's after it.
const failoverUpstream = `apiVersion: v1
kind: Secret
metadata: {name: backup-secret, namespace: gloo-system}
stringData: {Authorization: Bearer sk-backup}
---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: {name: openai, namespace: gloo-system}
spec:
  ai:
    multi:
      priorities:
      - pool:
        - openai: {model: gpt-4o, authToken: {secretRef: {name: openai-secret}}}
      - pool:
        - openai: {model: gpt-4o-mini, authToken: {secretRef: {name: backup-secret}}}
`

// failoverKeys are the keys of the failover upstream of s, by priority; nil when it
// has none.
func failoverKeys(s *snapshotv1.Snapshot) []string {
	var out []string
	for _, u := range s.GetUpstreams() {
		for _, p := range u.GetFailover().GetPriorities() {
			for _, m := range p.GetPool() {
				out = append(out, m.GetAuthToken())
			}
		}
	}
	return out
}

// TestFailoverSecretChangePublishes: a Secret only a failover pool's member names is
// read and watched: the snapshot carries each member's key, and a new key in it is
// published.
func TestFailoverSecretChangePublishes(t *testing.T) {
	ns := newNamespace(t)
	applyTutorial(t, ns, "00", "10")
	gwKey := types.NamespacedName{Namespace: ns, Name: "ai-gateway"}
	routeAccepted(t, types.NamespacedName{Namespace: ns, Name: "openai"})
	p := proxyStream(t, gwKey, "proxy-0")
	require.NotNil(t, p.next(t, wait))

	applyYAML(t, ns, failoverUpstream)
	want := []string{"sk-test-openai-key", "sk-backup"}
	deadline := time.Now().Add(wait)
	for s := p.next(t, wait); ; s = p.next(t, wait) {
		if got := failoverKeys(s); len(got) == len(want) {
			require.Equal(t, want, got)
			break
		}
		require.True(t, s != nil && time.Now().Before(deadline), "no snapshot with the failover upstream")
	}

	out, err := env.Kubectl("-n", ns, "patch", "secret", "backup-secret", "--type=merge", "-p", `{"stringData":{"Authorization":"Bearer sk-backup-rotated"}}`)
	require.NoError(t, err, out)
	next := p.next(t, wait)
	require.NotNil(t, next, "a new key in a member's Secret publishes a snapshot")
	require.Equal(t, []string{"sk-test-openai-key", "sk-backup-rotated"}, failoverKeys(next))
}
