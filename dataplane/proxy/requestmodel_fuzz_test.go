package proxy

import (
	"encoding/json"
	"strings"
	"testing"

	snapshotv1 "github.com/claimgate/claimgate/api/snapshot/v1"
	"github.com/claimgate/claimgate/dataplane/authz"
)

// FuzzModelList: any provider answer is either refused or filtered into JSON that
// holds only allowed models; a path yields a model without a ':' or '/'.
func FuzzModelList(f *testing.F) {
	for _, s := range []string{
		`{"object":"list","data":[{"id":"gpt-3.5-turbo"},{"id":"gpt-4o"}]}`,
		`{"models":[{"name":"models/gemini-2.0-flash"},{"name":"models/gpt-3.5-turbo"}]}`,
		`{"data":[1,"x",{"id":7},{"id":"gpt-3.5-turbo"}]}`, `[]`, `null`, `{"data":null}`,
	} {
		f.Add([]byte(s), "/v1/models/gpt-4o:generateContent")
	}
	rbac, err := authz.Compile(&snapshotv1.Rbac{Policies: []*snapshotv1.RbacPolicy{{
		Name: "p", Principals: []*snapshotv1.Principal{{JwtPrincipal: &snapshotv1.JwtPrincipal{
			Claims: []*snapshotv1.Claim{{Key: "llms", RequestModel: true}}, Matcher: snapshotv1.ClaimMatcher_LIST_CONTAINS,
		}}},
	}}})
	if err != nil {
		f.Fatal(err)
	}
	l := &modelList{rbac: rbac, tokens: []authz.Token{{Claims: map[string]any{"llms": []any{"gpt-3.5-turbo"}}}}, method: "GET", path: "/v1/models"}
	f.Fuzz(func(t *testing.T, raw []byte, path string) {
		if m := modelInPath(path); m != "" && strings.ContainsAny(m, ":/") {
			t.Fatalf("modelInPath(%q) = %q", path, m)
		}
		out, ok := l.filter(raw)
		if !ok {
			return
		}
		var doc map[string][]map[string]any
		if json.Unmarshal(out, &doc) != nil {
			return // members that are not lists of objects are kept as they were
		}
		for _, e := range append(doc["data"], doc["models"]...) {
			id, _ := e["id"].(string)
			name, _ := e["name"].(string)
			if id != "gpt-3.5-turbo" && name != "gpt-3.5-turbo" && name != "models/gpt-3.5-turbo" {
				t.Fatalf("%s shows %v", out, e)
			}
		}
	})
}
