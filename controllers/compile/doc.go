// Package compile is the heart of the control plane: a pure function from the Kubernetes
// objects that feed a Gateway (gathered by the reconciler into Inputs) to one snapshot
// per Gateway (api/snapshot/v1) and the status of every object, as data. It never talks
// to the API server, never reads the clock and starts no goroutines, so the same Inputs,
// in any order, always give byte-identical snapshots.
//
// Compile runs in passes: upstreams → gateways → listeners → options (compiled once
// each) → VirtualHostOption attachment and merge per listener → routes (attachment,
// rules, filters, backends, RouteOption merge per rule) → snapshots (virtual hosts,
// precedence, version) → statuses. A Compiler runs the same passes and reuses the
// routes and RouteOptions whose versions did not change since its previous call. When
// only a few HTTPRoutes and RouteOptions changed (every other object being the same),
// it starts from its previous compile instead (delta.go): it compiles again those and
// the routes they may apply to, moves the changed routes in each listener's layout,
// rebuilds the virtual hosts they are on, and computes again the statuses of the
// objects involved; the other statuses are handed out as before (handout.go).
//
// Where the semantics leave a choice, the compiler takes these:
//
//   - Fail closed. A rule whose ExtensionRef names a missing RouteOption (or another
//     kind), or that uses an unsupported filter, answers 500 (direct_response) with no
//     backends or filters. An rbac that cannot be compiled (bad claim value, BOOLEAN
//     value other than true/false, REGEX_MATCH that does not compile, unknown matcher)
//     becomes an Rbac with no policies, which denies everything. A JWT provider whose
//     keys cannot be used is emitted with unusable set and no key source.
//   - Backends. A backendRef that cannot be resolved is left out and the others share
//     the traffic; a rule left with none has no backends (the proxy answers 500). An
//     Upstream whose key cannot be resolved is left out of every snapshot.
//   - An Upstream may read a Secret in another namespace only with a ReferenceGrant
//     (from gloo.solo.io Upstream to core Secret): without one, anyone who can write an
//     Upstream could send another namespace's key to a host of their choosing.
//   - Shadowing. An option that contributes no field on any target is Accepted=False
//     with reason Shadowed, naming the option that set the field and why it won. One
//     that contributes some fields is Accepted=True, and the message says which fields
//     were shadowed. An option that sets no options is Accepted=True ("changes nothing").
//   - Accepted=False when the option is invalid (reason Invalid) or in effect on no
//     target (TargetNotFound, Invalid for a targetRef in another namespace, Shadowed).
//     Otherwise Accepted=True, and problems with some targets are listed in the message
//     and in the ancestors. Options whose targets all belong to another controller get
//     no status from this one.
//   - jwt.disable on a route turns off the afterExtAuth stage only (options.jwt is that
//     stage); jwtStaged.<stage>.disable turns off that stage. jwtProvidersStaged.<stage>
//     replaces the virtual host's stage, or adds it when the virtual host has none.
//   - Provider ids are "<namespace>/<option>/<provider>". A beforeExtAuth provider whose
//     name the same option also uses in afterExtAuth gets "#beforeExtAuth" appended; the
//     providers of a RouteOption named like a VirtualHostOption of its namespace get
//     "<namespace>/<option>#RouteOption/<provider>".
//   - Local key material must be a PEM public key or certificate, one JWK or a JWKS, with
//     at least one key and no asymmetric private key.
//   - jwks.remote.upstreamRef: the fetch connects to the first static host of that
//     Upstream (useTls, sniAddr); an Upstream in another namespace is allowed (it holds
//     no secret).
//   - A principal without jwtPrincipal matches no one and is left out; a policy left
//     without principals is left out too.
//   - Precedence: Exact path first, then the longest path value (PathPrefix before
//     RegularExpression at equal length), then method, header count, query count, the
//     oldest route, namespace/name, rule index and match index. Virtual hosts are ordered
//     exact domains first, then wildcards with more labels, then "*".
//   - Listeners: only HTTP and HTTPS. Listeners sharing a port with another protocol, or
//     with the same protocol and hostname, are Conflicted and dropped. An HTTPS listener
//     whose certificates do not all load is dropped (never served without TLS); it still
//     counts attached routes. Programmed on a listener means "in the snapshot".
//   - allowedRoutes.namespaces Selector matches Inputs.Namespaces labels; a namespace
//     missing from Inputs is not selected.
//   - Anthropic's version defaults to 2023-06-01 in the snapshot; Azure OpenAI's endpoint
//     is reached over TLS on port 443; static hosts on port 443 use TLS unless useTls
//     says otherwise (as Gloo does).
package compile
