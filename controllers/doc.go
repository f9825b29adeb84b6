// Package controllers is claimgate's control plane around the compiler: one reconciler
// watches every kind that feeds a snapshot, gathers them from the cache into
// compile.Inputs (gather.go), runs compile.Compile, hands the snapshots to the publish
// store, provisions each Gateway's proxy Deployment, Service and ServiceAccount
// (provision.go) and writes the statuses the compiler decided, plus Programmed and the
// addresses, only when they changed (status*.go). The reconciler runs on the elected
// leader only.
package controllers
