package authn

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/claimgate/claimgate/test/tokens"
)

const (
	badHeader  = "Jwt header is an invalid Base64url input or an invalid JSON"
	badPayload = "Jwt payload is an invalid Base64 or an invalid JSON"
	badSig     = "Jwt verification fails"
)

// b64urlAlphabet is base64url's alphabet in value order (RFC 4648 §5).
const b64urlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// respellableToken mints a token signed by k whose every segment has a length that
// padding would change and holds '-' or '_', so every re-spelling below alters every
// segment.
func respellableToken(t testing.TB, k *tokens.Key) string {
	t.Helper()
	for i := range 2000 {
		filler := strings.Repeat("?>", i%9) + fmt.Sprint(i)
		tok := k.MintWithHeader(t, map[string]any{"alg": k.Alg, "kid": k.Kid, "typ": "JWT", "x": filler}, claims("", "x", filler))
		if respellable(tok) {
			return tok
		}
	}
	t.Fatal("no respellable token")
	return ""
}

func respellable(tok string) bool {
	for _, s := range strings.Split(tok, ".") {
		if len(s)%4 == 0 || !strings.ContainsAny(s, "-_") {
			return false
		}
	}
	return true
}

// signRaw is a token with exactly this header and payload JSON, signed by k with k.Alg.
func signRaw(t testing.TB, k *tokens.Key, header, payload string) string {
	t.Helper()
	input := tokens.Encode(header) + "." + tokens.Encode(payload)
	sig, err := tokens.Sign(k.Alg, k.Private, []byte(input))
	require.NoError(t, err)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// respell returns tok with segment i (0 header, 1 payload, 2 signature) rewritten by f.
func respell(tok string, i int, f func(string) string) string {
	segs := strings.Split(tok, ".")
	segs[i] = f(segs[i])
	return strings.Join(segs, ".")
}

func padded(s string) string { return s + strings.Repeat("=", (4-len(s)%4)%4) }

func stdAlphabet(s string) string { return strings.NewReplacer("-", "+", "_", "/").Replace(s) }

func inMiddle(ws string) func(string) string {
	return func(s string) string { return s[:len(s)/2] + ws + s[len(s)/2:] }
}

// dirtyTrailingBits sets a low bit that canonical base64url leaves zero in the last
// character: the segment still decodes to the same bytes with a lax decoder.
func dirtyTrailingBits(s string) string {
	v := strings.IndexByte(b64urlAlphabet, s[len(s)-1])
	return s[:len(s)-1] + string(b64urlAlphabet[v|1])
}

// carriers are the ways a test request carries a token: the access_token query parameter
// delivers any string intact; Authorization only the characters a JWT can hold (it stops
// at the first other one, as Envoy's extractor does).
func carriers(tok string) map[string]*http.Request {
	q := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "http://gw.example:8080/openai?access_token="+url.QueryEscape(tok), nil)
	out := map[string]*http.Request{"query": q}
	if strings.Trim(tok, b64urlAlphabet+".=+/") == "" {
		out["header"] = bearer(tok)
	}
	return out
}

// respellings are the spellings of a segment that base64 decoders commonly accept.
var respellings = map[string]func(string) string{
	"padded":                 padded,
	"one pad":                func(s string) string { return s + "=" },
	"standard alphabet":      stdAlphabet,
	"newline":                inMiddle("\n"),
	"CRLF":                   inMiddle("\r\n"),
	"trailing newline":       func(s string) string { return s + "\n" },
	"space":                  inMiddle(" "),
	"tab":                    inMiddle("\t"),
	"non-zero trailing bits": dirtyTrailingBits,
}

// TestOneSpellingPerToken: a verified token's segments respelled in any way a lax base64
// decoder accepts are refused, each with the failure Envoy gives for that segment.
func TestOneSpellingPerToken(t *testing.T) {
	e := newEnv(t)
	q := e.requirement(t, localProvider("jwks", tokens.JWKS(t, rsaA, rsaB)))
	tok := respellableToken(t, rsaA)
	requireOK(t, q, bearer(tok))
	segment := []struct {
		name string
		body string
	}{{"header", badHeader}, {"payload", badPayload}, {"signature", badSig}}
	for i, seg := range segment {
		for name, f := range respellings {
			variant := respell(tok, i, f)
			require.NotEqual(t, tok, variant)
			for carrier, r := range carriers(variant) {
				t.Run(seg.name+" "+name+" in "+carrier, func(t *testing.T) {
					requireFailure(t, q, r, 401, seg.body)
				})
			}
		}
	}
}

// TestJOSEHeaderNames: header member names are exact and unique; crit and b64 are
// extensions claimgate does not understand. Every token is signed correctly by rsaA.
func TestJOSEHeaderNames(t *testing.T) {
	e := newEnv(t)
	q := e.requirement(t, localProvider("jwks", tokens.JWKS(t, rsaA, rsaB)))
	payload := `{"sub":"alice"}`
	tests := map[string]struct {
		header, payload string
		want            string // "" is success
	}{
		"plain":                           {header: `{"alg":"RS256","kid":"a"}`},
		"duplicate alg":                   {header: `{"alg":"RS256","alg":"RS256","kid":"a"}`, want: badHeader},
		"duplicate alg, last wins lax":    {header: `{"alg":"HS256","alg":"RS256"}`, want: badHeader},
		"duplicate kid":                   {header: `{"alg":"RS256","kid":"b","kid":"a"}`, want: badHeader},
		"duplicate by escape":             {header: `{"alg":"RS256","\u0061lg":"RS256"}`, want: badHeader},
		"duplicate unknown member":        {header: `{"alg":"RS256","typ":"JWT","typ":"JWT"}`, want: badHeader},
		"duplicate in a nested object":    {header: `{"alg":"RS256","x":{"k":1,"k":2}}`, want: badHeader},
		"ALG only":                        {header: `{"ALG":"RS256"}`, want: badHeader},
		"Alg only":                        {header: `{"Alg":"RS256","kid":"a"}`, want: badHeader},
		"ALG does not override alg":       {header: `{"alg":"RS256","ALG":"HS256"}`},
		"Kid is not kid":                  {header: `{"alg":"RS256","Kid":"b"}`},
		"KID is not kid":                  {header: `{"alg":"RS256","KID":"nope"}`},
		"crit naming an extension":        {header: `{"alg":"RS256","crit":["x-ext"],"x-ext":1}`, want: badSig},
		"crit naming exp":                 {header: `{"alg":"RS256","crit":["exp"],"exp":1}`, want: badSig},
		"crit empty list":                 {header: `{"alg":"RS256","crit":[]}`, want: badSig},
		"crit not a list":                 {header: `{"alg":"RS256","crit":"x-ext"}`, want: badSig},
		"crit null":                       {header: `{"alg":"RS256","crit":null}`, want: badSig},
		"crit object":                     {header: `{"alg":"RS256","crit":{}}`, want: badSig},
		"crit escaped":                    {header: `{"alg":"RS256","\u0063rit":["x"]}`, want: badSig},
		"Crit is not crit":                {header: `{"alg":"RS256","Crit":["x-ext"]}`},
		"b64 false with crit":             {header: `{"alg":"RS256","b64":false,"crit":["b64"]}`, want: badSig},
		"b64 false":                       {header: `{"alg":"RS256","b64":false}`, want: badSig},
		"b64 not a boolean":               {header: `{"alg":"RS256","b64":"false"}`, want: badSig},
		"b64 true":                        {header: `{"alg":"RS256","b64":true}`},
		"duplicate claim":                 {header: `{"alg":"RS256"}`, payload: `{"sub":"mallory","sub":"alice"}`, want: badPayload},
		"duplicate nested claim":          {header: `{"alg":"RS256"}`, payload: `{"llms":{"openai":["a"],"openai":["b"]}}`, want: badPayload},
		"duplicate claim by escape":       {header: `{"alg":"RS256"}`, payload: `{"sub":"a","s\u0075b":"b"}`, want: badPayload},
		"same name in sibling objects":    {header: `{"alg":"RS256"}`, payload: `{"a":{"k":1},"b":{"k":2},"k":[{"k":1},{"k":2}]}`},
		"claim names differing in case":   {header: `{"alg":"RS256"}`, payload: `{"sub":"a","Sub":"b","SUB":"c"}`},
		"bad header before crit":          {header: `{"crit":["x"]}`, want: badHeader},
		"bad payload before crit":         {header: `{"alg":"RS256","crit":["x"]}`, payload: `[1]`, want: badPayload},
		"many members, one duplicate":     {header: manyMembers(40, true), want: badHeader},
		"many members, none duplicated":   {header: manyMembers(40, false)},
		"invalid UTF-8 names that decode": {header: "{\"alg\":\"RS256\",\"\xff\":1,\"\xfe\":2}", want: badHeader},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := tc.payload
			if p == "" {
				p = payload
			}
			for carrier, r := range carriers(signRaw(t, rsaA, tc.header, p)) {
				t.Run(carrier, func(t *testing.T) {
					if tc.want == "" {
						requireOK(t, q, r)
						return
					}
					requireFailure(t, q, r, 401, tc.want)
				})
			}
		})
	}
}

// manyMembers is a header with alg and n other members; dup repeats the last name.
func manyMembers(n int, dup bool) string {
	var b strings.Builder
	b.WriteString(`{"alg":"RS256"`)
	for i := range n {
		fmt.Fprintf(&b, `,"m%d":%d`, i, i)
	}
	if dup {
		fmt.Fprintf(&b, `,"m%d":0`, n-1)
	}
	b.WriteString("}")
	return b.String()
}

// TestRespelledTokenNeverUsesCache: once a token is verified and cached, a respelling
// of it is refused, and it is never answered from the cache.
func TestRespelledTokenNeverUsesCache(t *testing.T) {
	e := newEnv(t)
	q := e.requirement(t, localProvider("p", rsaA.PublicPEM(t)))
	tok := respellableToken(t, rsaA)
	requireOK(t, q, bearer(tok))
	requireOK(t, q, bearer(tok))
	hits, _ := e.hitsMisses(t)
	require.Equal(t, 1.0, hits, "the canonical token is served from the cache")

	body := []string{badHeader, badPayload, badSig}
	for i := range 3 {
		for name, f := range respellings {
			for carrier, r := range carriers(respell(tok, i, f)) {
				t.Run(fmt.Sprintf("segment %d %s in %s", i, name, carrier), func(t *testing.T) {
					requireFailure(t, q, r, 401, body[i])
					now, _ := e.hitsMisses(t)
					require.Equal(t, hits, now, "a respelling is never a cache hit")
				})
			}
		}
	}
	requireOK(t, q, bearer(tok))
}

// laxRespell decodes each segment as forgiving decoders do (padding, either alphabet,
// CR/LF skipped) and encodes it again canonically; ok is false when a segment does not
// decode even so.
func laxRespell(tok string) (string, bool) {
	segs := strings.Split(tok, ".")
	if len(segs) != 3 {
		return "", false
	}
	for i, s := range segs {
		s = strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(s), "=")
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return "", false
		}
		segs[i] = base64.RawURLEncoding.EncodeToString(b)
	}
	return strings.Join(segs, "."), true
}
