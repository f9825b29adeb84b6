// Package authn is the first check of the proxy's request path: it finds the request's
// JWT, verifies it against the route's providers (inline keys or remote JWKS refreshed in
// the background), caches verified tokens, and answers failures exactly as Envoy's
// jwt_authn does (status, body, www-authenticate).
//
// One Authenticator lives as long as the proxy process: it owns the remote JWKS fetchers
// and the verified-token cache. Each snapshot's providers are compiled once
// (Authenticator.Compile), each route's JWT authentication once (Providers.Requirement),
// and Requirement.Authenticate runs per request and hands the verified tokens to
// dataplane/authz.
package authn
