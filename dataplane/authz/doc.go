// Package authz is the last check of the proxy's request path: after dataplane/authn has
// verified the request's tokens, it evaluates the route's compiled claim rules
// (snapshotv1.Rbac) against their claims. It is pure: no I/O, no clock, and evaluation
// allocates nothing.
//
// Compile turns a snapshot's Rbac into a Policy once per snapshot; Policy.Allowed answers
// each request. A denied request is answered 403, content-type text/plain, DenyBody.
package authz
