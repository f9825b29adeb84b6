// Package controllers is claimgate's control plane around the compiler: one reconciler
// watches every kind that feeds a snapshot, gathers them from the cache into
// compile.Inputs (gather.go; Secrets through a cache checked against their metadata,
// secrets.go), runs the incremental compile.Compiler, hands the snapshots and their
// encodings to the publish store, and provisions each Gateway's proxy Deployment, Service
// and ServiceAccount (provision.go). The statuses the compiler decided, plus Programmed
// and the addresses, go to a status writer (statuswriter.go, status*.go) that writes them
// in the background, only when they changed, merging again after a conflict; the
// proxies' acknowledgements report Programmed from the last compilation. All of it runs
// on the elected leader only.
package controllers
