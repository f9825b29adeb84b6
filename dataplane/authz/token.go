package authz

// Token is a verified token: the name of the provider that verified it (JwtProvider.name)
// and its claims as decoded JSON (values string, float64, bool, []any, map[string]any).
// Claims are shared with authn's verified-token cache and must not be modified.
type Token struct {
	Provider string
	Claims   map[string]any
}

// DenyBody is the 403 body of a denied request.
const DenyBody = "RBAC: access denied"
