package compile

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// optionClass is what claimgate does with a top-level option of Gloo's.
type optionClass uint8

const (
	// honored options are in effect as Gloo defines them.
	honored optionClass = iota
	// ignored options are named in the status and change nothing.
	ignored
	// refused options admit or refuse traffic and claimgate lacks them: the routes
	// they apply to fail closed.
	refused
)

// refusedBody is the answer of a route that an option claimgate cannot apply covers.
func refusedBody(name string) string {
	return fmt.Sprintf("route uses options.%s, which claimgate does not implement", name)
}

// invalidOptionBody is the answer of a route an invalid option covers.
func invalidOptionBody(kind, name string) string {
	return fmt.Sprintf("route uses options.%s, which is invalid: see the %s status", name, kind)
}

// sharedOptionClasses classifies the options VirtualHostOption and RouteOption share.
var sharedOptionClasses = map[string]optionClass{
	"jwt": honored, "jwtStaged": honored, "rbac": honored, "cors": honored,
	"headerManipulation": honored, "retries": honored,
	"stagedTransformations": ignored, "transformations": ignored,
	"bufferPerRoute": refused, "csrf": refused, "dlp": refused, "extProc": refused,
	"extProcEarly": refused, "extProcLate": refused, "extauth": refused, "extensions": refused,
	"rateLimitConfigs": honored, "rateLimitEarlyConfigs": honored, "rateLimitRegularConfigs": honored,
	"ratelimit": refused, "ratelimitBasic": refused, "ratelimitEarly": refused,
	"ratelimitRegular": refused, "waf": refused,
}

// vhostOptionClasses classifies every field of VirtualHostOptions.
var vhostOptionClasses = withClasses(sharedOptionClasses, map[string]optionClass{
	"corsPolicyMergeSettings": honored, "includeRequestAttemptCount": honored,
	"includeAttemptCountInResponse": honored, "stats": ignored,
})

// routeOptionClasses classifies every field of RouteOptions.
var routeOptionClasses = withClasses(sharedOptionClasses, map[string]optionClass{
	"jwtProvidersStaged": honored, "upgrades": honored, "timeout": honored,
	"idleTimeout": honored, "maxStreamDuration": honored, "faults": honored,
	"prefixRewrite": honored, "regexRewrite": honored, "hostRewrite": honored,
	"autoHostRewrite":   honored,
	"hostRewriteHeader": ignored, "hostRewritePathRegex": ignored, "appendXForwardedHost": ignored,
	"envoyMetadata": ignored, "lbHash": ignored, "shadowing": ignored, "tracing": ignored,
	"ai": honored,
})

// memberClasses classifies, per option claimgate implements only in part, each of its
// members: the status names each member set rather than the option. Keys are dotted
// paths below options; a member that has an entry of its own (ai.promptGuard) is
// reported member by member in turn.
var memberClasses = map[string]map[string]optionClass{
	"ai": {
		"promptEnrichment": honored, "defaults": honored, "routeType": ignored,
		"promptGuard": honored, "rag": ignored, "semanticCache": ignored,
	},
	"ai.promptGuard":          {"request": honored, "response": honored},
	"ai.promptGuard.request":  {"customResponse": honored, "regex": honored, "webhook": honored, "moderation": honored},
	"ai.promptGuard.response": {"regex": honored, "webhook": honored},
}

func withClasses(base, more map[string]optionClass) map[string]optionClass {
	out := make(map[string]optionClass, len(base)+len(more))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// sameGroup names, per option, the option it is merged as one with: Gloo merges
// options field by field, and these are one choice in Gloo's API (a oneof).
var sameGroup = map[string]string{
	"jwtStaged": "jwt", "jwtProvidersStaged": "jwt",
	"regexRewrite":    "prefixRewrite",
	"autoHostRewrite": "hostRewrite", "hostRewriteHeader": "hostRewrite", "hostRewritePathRegex": "hostRewrite",
	"ratelimit": "rateLimitConfigs", "ratelimitEarly": "rateLimitEarlyConfigs", "ratelimitRegular": "rateLimitRegularConfigs",
}

// optionFields lists the top-level fields of an options struct type: their JSON names
// in declaration order and the merge group of each.
type optionFields struct {
	names  []string
	group  []int
	index  map[string]int // a name's position in names
	groups int
	// groupNames name each group by its first field.
	groupNames []string
}

func newOptionFields(t reflect.Type) *optionFields {
	f := &optionFields{index: map[string]int{}}
	groupOf := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		f.index[name] = len(f.names)
		f.names = append(f.names, name)
		g := name
		if to, ok := sameGroup[name]; ok {
			g = to
		}
		if _, ok := groupOf[g]; !ok {
			groupOf[g] = f.groups
			f.groupNames = append(f.groupNames, g)
			f.groups++
		}
		f.group = append(f.group, groupOf[g])
	}
	return f
}

var (
	vhostFields = newOptionFields(reflect.TypeFor[gatewayv1.VirtualHostOptions]())
	routeFields = newOptionFields(reflect.TypeFor[gatewayv1.RouteOptions]())
)

// The merge groups the compiler reads.
var (
	vJwt, vRbac, vCors, vHeaders, vRetries = vhostFields.groupOf("jwt"), vhostFields.groupOf("rbac"),
		vhostFields.groupOf("cors"), vhostFields.groupOf("headerManipulation"), vhostFields.groupOf("retries")
	vCorsMerge, vAttemptUp, vAttemptDown = vhostFields.groupOf("corsPolicyMergeSettings"),
		vhostFields.groupOf("includeRequestAttemptCount"), vhostFields.groupOf("includeAttemptCountInResponse")
	rJwt, rRbac, rUpgrades, rCors, rHeaders, rRetries = routeFields.groupOf("jwt"), routeFields.groupOf("rbac"),
		routeFields.groupOf("upgrades"), routeFields.groupOf("cors"), routeFields.groupOf("headerManipulation"),
		routeFields.groupOf("retries")
	rTimeout, rIdle, rMaxStream, rFaults = routeFields.groupOf("timeout"), routeFields.groupOf("idleTimeout"),
		routeFields.groupOf("maxStreamDuration"), routeFields.groupOf("faults")
	rPathRewrite, rHostRewrite                     = routeFields.groupOf("prefixRewrite"), routeFields.groupOf("hostRewrite")
	vRateLimitEarly, vRateLimit, vRateLimitRegular = vhostFields.groupOf("rateLimitEarlyConfigs"),
		vhostFields.groupOf("rateLimitConfigs"), vhostFields.groupOf("rateLimitRegularConfigs")
	rRateLimitEarly, rRateLimit, rRateLimitRegular = routeFields.groupOf("rateLimitEarlyConfigs"),
		routeFields.groupOf("rateLimitConfigs"), routeFields.groupOf("rateLimitRegularConfigs")
)

// groupOf is the merge group of the named field.
func (f *optionFields) groupOf(name string) int { return f.group[f.index[name]] }

// set lists the positions of the fields set in opts (a pointer to an options struct).
func (f *optionFields) set(opts any) []int {
	v := reflect.ValueOf(opts).Elem()
	var out []int
	for i := range f.names {
		if !v.Field(i).IsZero() {
			out = append(out, i)
		}
	}
	return out
}

// optionSurvey is what claimgate does with each option one object sets: its status
// entries, and per merge group the option that leaves the routes closed, if any.
type optionSurvey struct {
	fields *optionFields
	// sets are the merge groups the object sets.
	sets []bool
	// closing[g] is the answer of a route whose group g this object provides, when
	// the option there is refused or invalid; empty otherwise. Nil until one is: most
	// objects have none, and at thousands of them the list of every group adds up.
	closing []string
	status  []gatewayv1.OptionStatus
	// unsupported are the refused options, for the Accepted condition.
	unsupported problems
}

// surveyOptions classifies the options set in opts.
func surveyOptions(fields *optionFields, classes map[string]optionClass, opts any, kind string) *optionSurvey {
	s := &optionSurvey{fields: fields, sets: make([]bool, fields.groups)}
	v := reflect.ValueOf(opts).Elem()
	for _, i := range fields.set(opts) {
		name := fields.names[i]
		g := fields.group[i]
		s.sets[g] = true
		if _, partial := memberClasses[name]; !partial {
			s.classify(name, g, classes[name], kind)
			continue
		}
		s.classifyMembers(name, g, v.Field(i), kind)
	}
	return s
}

// close makes body the answer of the routes s's group g covers, unless one is already.
func (s *optionSurvey) close(g int, body string) {
	if s.closing == nil {
		s.closing = make([]string, s.fields.groups)
	}
	if s.closing[g] == "" {
		s.closing[g] = body
	}
}

// closed is the answer of the routes s's group g covers, "" when the option is fine.
func (s *optionSurvey) closed(g int) string {
	if s.closing == nil {
		return ""
	}
	return s.closing[g]
}

// classifyMembers records what claimgate does with each member set in v, the option
// (or member) at name of merge group g, which memberClasses lists member by member.
func (s *optionSurvey) classifyMembers(name string, g int, v reflect.Value, kind string) {
	members := memberClasses[name]
	set := setMembers(v)
	if len(set) == 0 {
		s.classify(name, g, honored, kind)
	}
	for _, m := range set {
		path := name + "." + m
		if _, deeper := memberClasses[path]; deeper {
			s.classifyMembers(path, g, memberValue(v, m), kind)
			continue
		}
		s.classify(path, g, members[m], kind)
	}
}

// memberValue is the member of v (a struct or a pointer to one) whose JSON name is m.
func memberValue(v reflect.Value, m string) reflect.Value {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return v.Field(slices.Index(memberNames(v.Type()), m))
}

// classify records what claimgate does with the option (or member) at name, of merge
// group g.
func (s *optionSurvey) classify(name string, g int, class optionClass, kind string) {
	switch class {
	case honored:
		s.status = append(s.status, gatewayv1.OptionStatus{Name: "options." + name, Outcome: gatewayv1.OptionHonored})
	case ignored:
		s.ignore("options."+name, "claimgate does not implement it; it changes nothing")
	case refused:
		s.close(g, refusedBody(name)) // the first refused member names the answer
		msg := refusedMessage(kind)
		s.status = append(s.status, gatewayv1.OptionStatus{Name: "options." + name, Outcome: gatewayv1.OptionRefused, Message: msg})
		s.unsupported.add(gatewayv1.ReasonUnsupported, "options."+name+": "+msg)
	}
}

// refusedMessage says what a refused option does to the routes of a kind of option.
func refusedMessage(kind string) string {
	return fmt.Sprintf("claimgate does not implement it, and it admits or refuses traffic: the routes this %s applies to answer 500 until it is removed", kind)
}

// memberNames lists the JSON names of a struct type's fields, in declaration order.
func memberNames(t reflect.Type) []string {
	out := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// setMembers lists the members set in v (a pointer to a struct), in declaration order.
func setMembers(v reflect.Value) []string {
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	var out []string
	for i, name := range memberNames(v.Type()) {
		if !v.Field(i).IsZero() {
			out = append(out, name)
		}
	}
	return out
}

// ignore records an ignored option (a top-level one or a part of one).
func (s *optionSurvey) ignore(name, why string) {
	s.status = append(s.status, gatewayv1.OptionStatus{Name: name, Outcome: gatewayv1.OptionIgnored, Message: why})
}

// invalid records that an honored option cannot be applied as written: the routes it
// applies to fail closed, and the problem goes to the Accepted condition.
func (s *optionSurvey) invalid(state *policyState, name, msg string) {
	top, _, _ := strings.Cut(name, ".")
	g := s.fields.groupOf(top)
	s.close(g, invalidOptionBody(state.kind, top))
	full := "options." + name
	for i := range s.status {
		// The option's entry, or for an option reported member by member, the member's.
		if n := s.status[i].Name; n == "options."+top || n == full || strings.HasPrefix(full, n+".") {
			s.status[i].Outcome, s.status[i].Message = gatewayv1.OptionRefused, msg
		}
	}
	state.invalid.add(gatewayv1.ReasonInvalid, "options."+name+": "+msg)
}

// ignoredNote is the sentence the Accepted condition adds for ignored options, or "".
func (s *optionSurvey) ignoredNote() string {
	var names []string
	for _, st := range s.status {
		if st.Outcome == gatewayv1.OptionIgnored {
			names = append(names, st.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "ignored, as claimgate does not implement them: " + strings.Join(names, ", ")
}
