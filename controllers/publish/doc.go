// Package publish is the third step of the control-plane pipeline: it holds the latest
// compiled snapshot of every Gateway (Store), streams it to the Gateway's proxies over
// the SnapshotService gRPC stream secured with mutual TLS (Server), and records which
// proxy instance acknowledged or rejected which version (Tracker), so the reconciler can
// report a Gateway as Programmed. It also bootstraps the certificates of that mTLS
// channel (EnsureCertificates).
//
// The Server runs on the elected leader only: the leader is the replica whose reconciler
// compiles snapshots, so it is the only one with something to send. Proxies that reach a
// standby replica find no listener, retry with backoff and land on the leader.
package publish
