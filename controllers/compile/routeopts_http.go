package compile

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"golang.org/x/net/http/httpguts"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
)

// reservedHeaders may not be set or removed through headerManipulation: the proxy owns
// them (Host through hostRewrite; the framing and connection headers per request).
var reservedHeaders = map[string]bool{
	"Host": true, "Connection": true, "Content-Length": true, "Transfer-Encoding": true,
	"Upgrade": true, "Te": true, "Trailer": true, "Keep-Alive": true, "Proxy-Connection": true,
}

// headers compiles header manipulation.
func (oc optionCompiler) headers(h *gatewayv1.HeaderManipulation) *snapshotv1.HeaderManipulation {
	if h == nil {
		return nil
	}
	out := &snapshotv1.HeaderManipulation{}
	ok := true
	check := func(field, name string) bool {
		switch {
		case !httpguts.ValidHeaderFieldName(name):
			oc.invalid("headerManipulation."+field, "%q is not a header name", name)
		case reservedHeaders[http.CanonicalHeaderKey(name)]:
			oc.invalid("headerManipulation."+field, "%s is managed by the proxy and cannot be changed here", name)
		default:
			return true
		}
		ok = false
		return false
	}
	for _, a := range h.RequestHeadersToAdd {
		if a.HeaderSecretRef != nil {
			oc.invalid("headerManipulation.requestHeadersToAdd", "headerSecretRef is not implemented by claimgate; write the header with header: {key, value}")
			ok = false
			continue
		}
		if a.Header != nil && check("requestHeadersToAdd", a.Header.Key) && oc.value("requestHeadersToAdd", a.Header) {
			out.RequestHeadersToAdd = append(out.RequestHeadersToAdd, headerOption(*a.Header, a.Append))
		}
	}
	for _, a := range h.ResponseHeadersToAdd {
		if check("responseHeadersToAdd", a.Header.Key) && oc.value("responseHeadersToAdd", &a.Header) {
			out.ResponseHeadersToAdd = append(out.ResponseHeadersToAdd, headerOption(a.Header, a.Append))
		}
	}
	for _, n := range h.RequestHeadersToRemove {
		if check("requestHeadersToRemove", n) {
			out.RequestHeadersToRemove = append(out.RequestHeadersToRemove, n)
		}
	}
	for _, n := range h.ResponseHeadersToRemove {
		if check("responseHeadersToRemove", n) {
			out.ResponseHeadersToRemove = append(out.ResponseHeadersToRemove, n)
		}
	}
	if !ok {
		return nil
	}
	return out
}

// value checks a header value: literal text, without Envoy's %COMMAND% operators.
func (oc optionCompiler) value(field string, h *gatewayv1.HeaderValue) bool {
	if !httpguts.ValidHeaderFieldValue(h.Value) {
		oc.invalid("headerManipulation."+field, "the value of %s holds a control character", h.Key)
		return false
	}
	if strings.Count(strings.ReplaceAll(h.Value, "%%", ""), "%") > 1 {
		oc.invalid("headerManipulation."+field, "the value of %s uses Envoy's %%...%% operators, which claimgate does not implement; write the value literally (%%%% for a %%)", h.Key)
		return false
	}
	return true
}

func headerOption(h gatewayv1.HeaderValue, appendValue *bool) *snapshotv1.HeaderValueOption {
	value := strings.ReplaceAll(h.Value, "%%", "%")
	return &snapshotv1.HeaderValueOption{Name: h.Key, Value: value, Append: appendValue == nil || *appendValue}
}

// rewrite compiles the path and host rewrites a route sends upstream.
func (oc optionCompiler) rewrite(o *gatewayv1.RouteOptions) *snapshotv1.UpstreamRewrite {
	out := &snapshotv1.UpstreamRewrite{Prefix: o.PrefixRewrite, Host: o.HostRewrite}
	if o.AutoHostRewrite != nil && *o.AutoHostRewrite {
		out.AutoHost = true
	}
	if r := o.RegexRewrite; r != nil {
		re, err := regexp.Compile(r.Pattern.Regex)
		if err != nil {
			oc.invalid("regexRewrite.pattern.regex", "%q is not an RE2 expression: %v", r.Pattern.Regex, err)
			return nil
		}
		if msg := checkSubstitution(r.Substitution, re.NumSubexp()); msg != "" {
			oc.invalid("regexRewrite.substitution", "%s", msg)
			return nil
		}
		out.Regex = &snapshotv1.RegexRewrite{Pattern: r.Pattern.Regex, Substitution: r.Substitution}
		if r.Pattern.GoogleRe2 != nil {
			oc.survey.ignore("options.regexRewrite.pattern.googleRe2", "claimgate bounds expressions by their length; maxProgramSize changes nothing")
		}
	}
	if o.HostRewrite != "" && !httpguts.ValidHostHeader(o.HostRewrite) {
		oc.invalid("hostRewrite", "%q is not a host", o.HostRewrite)
		return nil
	}
	if out.Prefix == nil && out.Regex == nil && out.Host == "" && !out.AutoHost {
		return nil
	}
	return out
}

// checkSubstitution says what is wrong with an RE2 substitution (\0-\9 name groups, \\
// is a backslash, nothing else may follow a backslash), or "".
func checkSubstitution(s string, groups int) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		i++
		switch {
		case i == len(s):
			return `ends with a lone \`
		case s[i] == '\\':
		case s[i] >= '0' && s[i] <= '9':
			if int(s[i]-'0') > groups {
				return fmt.Sprintf(`names \%c but the pattern has %d groups`, s[i], groups)
			}
		default:
			return fmt.Sprintf(`has \%c: only \0-\9 and \\ may follow a \`, s[i])
		}
	}
	return ""
}
