// Package sync is the start of the proxy's configuration path: it receives snapshots,
// either from the controller over the SnapshotService gRPC stream (mTLS, ACK/NACK,
// reconnecting with capped jittered backoff) or from a file in standalone mode (reloaded
// when it changes), and hands each one to an Applier (the proxy), which validates,
// precompiles and swaps it in atomically or rejects it and keeps the last good one.
package sync
