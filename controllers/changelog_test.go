package controllers

import (
	"testing"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/types"
)

func TestChangeLog(t *testing.T) {
	l := newChangeLog()
	a, b := types.NamespacedName{Namespace: "ns", Name: "a"}, types.NamespacedName{Namespace: "ns", Name: "b"}
	l.add(true, a)
	require.Nil(t, l.take(), "before the first compile what changed is unknown")

	l.add(true, a)
	l.add(true, a)
	l.add(false, b)
	ch := l.take()
	require.NotNil(t, ch)
	require.Equal(t, []types.NamespacedName{a}, ch.HTTPRoutes)
	require.Equal(t, []types.NamespacedName{b}, ch.RouteOptions)
	ch = l.take()
	require.NotNil(t, ch)
	require.Empty(t, ch.HTTPRoutes, "nothing since the last take")

	l.add(false, b)
	l.lost()
	require.Nil(t, l.take(), "a reconciliation that did not compile loses the log")

	for i := range maxLoggedChanges + 1 {
		l.add(true, types.NamespacedName{Namespace: "ns", Name: string(rune('a'+i%26)) + string(rune(i))})
	}
	require.Nil(t, l.take(), "past maxLoggedChanges names what changed is unknown")
}
