package compile

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"weak"

	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TestCompilerMatchesFreshCompile applies a series of changes and requires, after
// each, that a Compiler reusing its previous work gives exactly what a fresh Compile
// gives.
func TestCompilerMatchesFreshCompile(t *testing.T) {
	steps := []struct {
		name   string
		change func(in *Inputs)
		// recompiled is how many routes must be compiled again (-1: not checked).
		recompiled int
	}{
		{"unchanged", func(*Inputs) {}, 0},
		{"one RouteOption changes", func(in *Inputs) {
			in.RouteOptions[3].Spec.Options.Rbac.Policies["viewer"].Principals[0].JwtPrincipal.Claims["llms.openai"] = apiextensionsv1.JSON{Raw: []byte(`"gpt-4o"`)}
			bump(&in.RouteOptions[3].ObjectMeta)
		}, 1},
		{"a RouteOption gets a bad claim", func(in *Inputs) {
			in.RouteOptions[4].Spec.Options.Rbac.Policies["viewer"].Principals[0].JwtPrincipal.Claims["llms.openai"] = apiextensionsv1.JSON{Raw: []byte(`42`)}
			bump(&in.RouteOptions[4].ObjectMeta)
		}, 1},
		{"one route changes its path", func(in *Inputs) {
			in.HTTPRoutes[5].Spec.Rules[0].Matches[0].Path.Value = ptr("/moved")
			bump(&in.HTTPRoutes[5].ObjectMeta)
		}, 1},
		{"a route is deleted", func(in *Inputs) { in.HTTPRoutes = in.HTTPRoutes[1:] }, 0},
		// The first RouteOption targets the route deleted above.
		{"a RouteOption is deleted", func(in *Inputs) { in.RouteOptions = in.RouteOptions[1:] }, 0},
		{"a RouteOption of a live route is deleted", func(in *Inputs) { in.RouteOptions = in.RouteOptions[1:] }, 1},
		{"a route references a missing RouteOption", func(in *Inputs) {
			r := in.HTTPRoutes[2]
			r.Spec.Rules[0].Filters = append(r.Spec.Rules[0].Filters, gwv1.HTTPRouteFilter{
				Type:         gwv1.HTTPRouteFilterExtensionRef,
				ExtensionRef: &gwv1.LocalObjectReference{Group: groupSolo, Kind: kindRouteOption, Name: "by-filter"},
			})
			bump(&r.ObjectMeta)
		}, 1},
		{"the referenced RouteOption appears", func(in *Inputs) {
			o := generatedRouteOption("gloo-system", 900, "mistral-large")
			o.Name, o.UID, o.ResourceVersion, o.Spec.TargetRefs = "by-filter", "uid-by-filter", "1", nil
			in.RouteOptions = append(in.RouteOptions, o)
		}, 1},
		{"a second RouteOption targets a route", func(in *Inputs) {
			o := generatedRouteOption("gloo-system", 7, "other")
			o.Name, o.UID, o.ResourceVersion = "second", "uid-second", "1"
			o.CreationTimestamp = metav1.Unix(1, 0)
			in.RouteOptions = append(in.RouteOptions, o)
		}, 1},
		{"the controller's own status writes", func(in *Inputs) {
			written := []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted", ObservedGeneration: 1}}
			in.Gateways[0].Status.Conditions = written
			statusWrite(&in.Gateways[0].ObjectMeta)
			in.VirtualHostOptions[0].Status.Conditions = written
			statusWrite(&in.VirtualHostOptions[0].ObjectMeta)
			in.Upstreams[0].Status.Conditions = written
			statusWrite(&in.Upstreams[0].ObjectMeta)
			in.RouteOptions[2].Status.Conditions = written
			statusWrite(&in.RouteOptions[2].ObjectMeta)
			in.HTTPRoutes[3].Status.Parents = []gwv1.RouteParentStatus{{ControllerName: ControllerName, Conditions: written}}
			statusWrite(&in.HTTPRoutes[3].ObjectMeta)
		}, 0},
		{"the VirtualHostOption changes", func(in *Inputs) {
			p := in.VirtualHostOptions[0].Spec.Options.Jwt.Providers["selfminted"]
			p.Issuer = "example.com"
			in.VirtualHostOptions[0].Spec.Options.Jwt.Providers["selfminted"] = p
			bump(&in.VirtualHostOptions[0].ObjectMeta)
		}, -1},
		{"a route is added", func(in *Inputs) {
			r := generatedRoute("gloo-system", 950, metav1.Now().Time)
			r.ResourceVersion = "1"
			in.HTTPRoutes = append(in.HTTPRoutes, r)
		}, 1},
		{"an object without resourceVersion", func(in *Inputs) { in.HTTPRoutes[0].ResourceVersion = "" }, 1},
	}
	in := withVersions(generateInputs(20))
	k := NewCompiler()
	k.Compile(in)
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.change(&in)
			before, deltas := maps.Clone(k.routes), k.deltas
			requireSameResult(t, Compile(in), k.Compile(in))
			if step.recompiled == 0 {
				require.Equal(t, deltas+1, k.deltas, "compiled incrementally")
			}
			if step.recompiled >= 0 {
				recompiled := 0
				for key, ir := range k.routes {
					if before[key] != ir {
						recompiled++
					}
				}
				require.Equal(t, step.recompiled, recompiled, "routes compiled again")
			}
		})
	}
}

// TestCompilerOnGoldenCases compiles every golden case twice with one Compiler.
func TestCompilerOnGoldenCases(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	require.NoError(t, err)
	k := NewCompiler()
	for _, path := range cases {
		t.Run(filepath.Base(path), func(t *testing.T) {
			in := withVersionsAt(loadInputs(t, path), path)
			requireSameResult(t, Compile(in), k.Compile(in))
			requireSameResult(t, Compile(in), k.Compile(in))
		})
	}
}

// requireSameResult requires a Compiler's result to be Compile's, snapshots compared
// by their deterministic encoding, and each result's encodings to be its snapshots.
// Recomputed is left out: requireRecomputed checks it. It returns got.
func requireSameResult(t *testing.T, want, got Result) Result {
	t.Helper()
	requireEncodedMatchesSnapshots(t, want)
	requireEncodedMatchesSnapshots(t, got)
	require.Equal(t, marshalSnapshots(t, want), marshalSnapshots(t, got))
	require.Nil(t, want.Recomputed, "a full compile decides every status")
	kept := got
	want.Snapshots, got.Snapshots, got.Recomputed = nil, nil, nil
	require.Equal(t, want, got)
	return kept
}

// requireRecomputed requires got, a Compiler's result after prev, to name in
// Recomputed every HTTPRoute and RouteOption whose status it does not have as prev
// had it (added, changed or gone).
func requireRecomputed(t *testing.T, prev, got Result) {
	t.Helper()
	if got.Recomputed == nil {
		return
	}
	requireKept(t, "HTTPRoute", prev.HTTPRoutes, got.HTTPRoutes, got.Recomputed.HTTPRoutes)
	requireKept(t, "RouteOption", prev.RouteOptions, got.RouteOptions, got.Recomputed.RouteOptions)
}

// requireKept requires every object of prev or got that recomputed does not name to
// have the same status in both.
func requireKept[V any](t *testing.T, kind string, prev, got Statuses[V], recomputed map[types.NamespacedName]bool) {
	t.Helper()
	for _, key := range slices.Concat(slices.Collect(maps.Keys(maps.Collect(prev.All()))), slices.Collect(maps.Keys(maps.Collect(got.All())))) {
		if !recomputed[key] {
			a, inA := prev.Of(key)
			b, inB := got.Of(key)
			require.Equal(t, inA, inB, "%s %s not recomputed", kind, key)
			require.Equal(t, a, b, "%s %s not recomputed", kind, key)
		}
	}
}

// withVersions gives every object a uid and resourceVersion, as the API server does.
func withVersions(in Inputs) Inputs { return withVersionsAt(in, "1") }

// withVersionsAt is withVersions with resourceVersion version: cases that hold different
// objects of the same names must not share versions, as they never do in an API server.
func withVersionsAt(in Inputs, version string) Inputs {
	set := func(kind string, m *metav1.ObjectMeta) {
		if m.UID == "" {
			m.UID = types.UID(fmt.Sprintf("%s/%s/%s", kind, m.Namespace, m.Name))
		}
		if m.ResourceVersion == "" {
			m.ResourceVersion = version
		}
	}
	for i := range in.GatewayClasses {
		set("GatewayClass", &in.GatewayClasses[i].ObjectMeta)
	}
	for i := range in.Gateways {
		set("Gateway", &in.Gateways[i].ObjectMeta)
	}
	for _, r := range in.HTTPRoutes {
		set("HTTPRoute", &r.ObjectMeta)
	}
	for i := range in.ReferenceGrants {
		set("ReferenceGrant", &in.ReferenceGrants[i].ObjectMeta)
	}
	for i := range in.Services {
		set("Service", &in.Services[i].ObjectMeta)
	}
	for i := range in.Secrets {
		set("Secret", &in.Secrets[i].ObjectMeta)
	}
	for i := range in.VirtualHostOptions {
		set("VirtualHostOption", &in.VirtualHostOptions[i].ObjectMeta)
	}
	for _, o := range in.RouteOptions {
		set("RouteOption", &o.ObjectMeta)
	}
	for i := range in.Upstreams {
		set("Upstream", &in.Upstreams[i].ObjectMeta)
	}
	for i := range in.Namespaces {
		set("Namespace", &in.Namespaces[i].ObjectMeta)
	}
	for i := range in.RateLimitConfigs {
		set("RateLimitConfig", &in.RateLimitConfigs[i].ObjectMeta)
	}
	return in
}

// statusWrite changes the resourceVersion but not the generation, as a status write does.
func statusWrite(m metav1.Object) {
	rv, _ := strconv.Atoi(m.GetResourceVersion())
	m.SetResourceVersion(strconv.Itoa(rv + 1))
}

// bump changes the resourceVersion (and generation) as a spec update does.
func bump(m *metav1.ObjectMeta) {
	rv, _ := strconv.Atoi(m.ResourceVersion)
	m.ResourceVersion = strconv.Itoa(rv + 1)
	m.Generation++
}

// TestCompilerRandomChanges deletes and re-versions random routes and RouteOptions of
// every golden case, and after each change requires a Compiler to agree with Compile.
func TestCompilerRandomChanges(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	require.NoError(t, err)
	for _, path := range cases {
		t.Run(filepath.Base(path), func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				r := rand.New(rand.NewPCG(seed, 42))
				in := withVersions(loadInputs(t, path))
				k := NewCompiler()
				prev := requireSameResult(t, Compile(in), k.Compile(in))
				for range 8 {
					randomChange(r, &in)
					got := requireSameResult(t, Compile(in), k.Compile(in))
					requireRecomputed(t, prev, got)
					prev = got
				}
			}
		})
	}
}

func randomChange(r *rand.Rand, in *Inputs) {
	switch r.IntN(5) {
	case 0:
		if n := len(in.HTTPRoutes); n > 0 {
			i := r.IntN(n)
			in.HTTPRoutes = append(in.HTTPRoutes[:i:i], in.HTTPRoutes[i+1:]...)
		}
	case 1:
		if n := len(in.RouteOptions); n > 0 {
			i := r.IntN(n)
			in.RouteOptions = append(in.RouteOptions[:i:i], in.RouteOptions[i+1:]...)
		}
	case 2:
		if n := len(in.HTTPRoutes); n > 0 {
			in.HTTPRoutes = slices.Clone(in.HTTPRoutes)
			i := r.IntN(n)
			in.HTTPRoutes[i] = in.HTTPRoutes[i].DeepCopy()
			bump(&in.HTTPRoutes[i].ObjectMeta)
		}
	case 3:
		if n := len(in.RouteOptions); n > 0 {
			in.RouteOptions = slices.Clone(in.RouteOptions)
			i := r.IntN(n)
			in.RouteOptions[i] = in.RouteOptions[i].DeepCopy()
			bump(&in.RouteOptions[i].ObjectMeta)
		}
	default:
		*in = shuffled(*in, r.Uint64())
	}
}

// TestCompilerContentChanges changes the content of random routes and RouteOptions of
// every golden case (and of generated inputs), in place as well as in new slices, and
// requires a Compiler to agree with Compile after each change, compiling incrementally:
// "unnamed" as the changes come, "named" with the changed objects (and an unchanged
// one) named in Inputs.Changed, as the reconciler names them from its watch events.
func TestCompilerContentChanges(t *testing.T) {
	cases, err := filepath.Glob("testdata/*.in.yaml")
	require.NoError(t, err)
	inputs := map[string]Inputs{"generated": generateInputs(40)}
	for _, path := range cases {
		inputs[filepath.Base(path)] = loadInputs(t, path)
	}
	for _, mode := range []namedMode{unnamed, named, everyNamed} {
		for name, base := range inputs {
			t.Run(mode.String()+"/"+name, func(t *testing.T) {
				for seed := uint64(1); seed <= 4; seed++ {
					contentChanges(t, base, rand.New(rand.NewPCG(seed, 7)), mode)
				}
			})
		}
	}
}

// namedMode is what Inputs.Changed names in the content-change tests: nothing (what
// changed is unknown), the objects changed (and an unchanged one), or every object as
// well (past pairwiseNamed, names are looked up in a map).
type namedMode int

const (
	unnamed namedMode = iota
	named
	everyNamed
)

func (m namedMode) String() string { return [...]string{"unnamed", "named", "every-named"}[m] }

// contentChanges makes 12 content changes to base and compares a Compiler with Compile
// after each.
func contentChanges(t *testing.T, base Inputs, r *rand.Rand, mode namedMode) {
	t.Helper()
	in := withVersions(base)
	in.HTTPRoutes, in.RouteOptions = slices.Clone(in.HTTPRoutes), slices.Clone(in.RouteOptions)
	k := NewCompiler()
	prev := requireSameResult(t, Compile(in), k.Compile(in))
	for step := range 12 {
		before, deltas := versionsOf(in), k.deltas
		contentChange(r, &in, step)
		written := statusWrites(r, &in)
		if mode != unnamed {
			in.Changed = changedBetween(before, versionsOf(in))
			in.Changed.HTTPRoutes = append(in.Changed.HTTPRoutes, written.HTTPRoutes...)
			in.Changed.RouteOptions = append(in.Changed.RouteOptions, written.RouteOptions...)
			if len(in.HTTPRoutes) > 0 {
				in.Changed.HTTPRoutes = append(in.Changed.HTTPRoutes, nsName(in.HTTPRoutes[r.IntN(len(in.HTTPRoutes))]))
			}
		}
		if mode == everyNamed {
			for _, o := range in.HTTPRoutes {
				in.Changed.HTTPRoutes = append(in.Changed.HTTPRoutes, nsName(o))
			}
			for _, o := range in.RouteOptions {
				in.Changed.RouteOptions = append(in.Changed.RouteOptions, nsName(o))
			}
		}
		got := requireSameResult(t, Compile(in), k.Compile(in))
		require.Equal(t, deltas+1, k.deltas, "step %d compiled incrementally", step)
		require.NotNil(t, got.Recomputed, "step %d", step)
		requireRecomputed(t, prev, got)
		prev = got
		requireCurrentObjects(t, k, in)
		in.Changed = nil
	}
	requireSameResult(t, Compile(in), k.Compile(in))
}

// contentChange changes one route or RouteOption (or adds or deletes one), giving it a
// new resourceVersion as the API server does.
func contentChange(r *rand.Rand, in *Inputs, step int) {
	if len(in.HTTPRoutes) == 0 || len(in.RouteOptions) == 0 {
		o := generatedRouteOption("gloo-system", 1000+step, "m")
		o.ResourceVersion = "1"
		in.RouteOptions = append(slices.Clip(in.RouteOptions), o)
		return
	}
	i, j := r.IntN(len(in.HTTPRoutes)), r.IntN(len(in.RouteOptions))
	route, opt := in.HTTPRoutes[i].DeepCopy(), in.RouteOptions[j].DeepCopy()
	other := in.HTTPRoutes[r.IntN(len(in.HTTPRoutes))]
	switch r.IntN(10) {
	case 0:
		route.Spec.Hostnames = []gwv1.Hostname{"a.example.com", "b.example.com"}[:r.IntN(3)]
	case 1:
		if len(route.Spec.Rules) > 0 {
			route.Spec.Rules[0].Matches = []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr(gwv1.PathMatchExact), Value: ptr(fmt.Sprintf("/changed/%d", step))}}}
		}
	case 2:
		if len(route.Spec.Rules) > 0 {
			route.Spec.Rules[0].Filters = append(route.Spec.Rules[0].Filters, gwv1.HTTPRouteFilter{
				Type:         gwv1.HTTPRouteFilterExtensionRef,
				ExtensionRef: &gwv1.LocalObjectReference{Group: groupSolo, Kind: kindRouteOption, Name: gwv1.ObjectName(opt.Name)},
			})
		}
	case 3:
		route.Spec.ParentRefs = route.Spec.ParentRefs[:r.IntN(len(route.Spec.ParentRefs)+1)]
	case 4:
		if len(opt.Spec.TargetRefs) > 0 && other.Namespace == opt.Namespace {
			opt.Spec.TargetRefs[0].Name = other.Name
		}
	case 5:
		opt.Name, opt.UID, opt.ResourceVersion = fmt.Sprintf("added-%d", step), types.UID(fmt.Sprintf("uid-added-%d", step)), "1"
		opt.CreationTimestamp = metav1.Unix(int64(step), 0)
		in.RouteOptions = append(slices.Clip(in.RouteOptions), opt)
		return
	case 6:
		in.RouteOptions = slices.Delete(slices.Clone(in.RouteOptions), j, j+1)
		return
	case 7:
		in.HTTPRoutes = slices.Delete(slices.Clone(in.HTTPRoutes), i, i+1)
		return
	case 8: // a route "copy" comes and goes, recreated with a new uid
		if at := slices.IndexFunc(in.HTTPRoutes, func(r *gwv1.HTTPRoute) bool { return r.Name == "copy" }); at >= 0 {
			in.HTTPRoutes = slices.Delete(slices.Clone(in.HTTPRoutes), at, at+1)
			return
		}
		route.Name, route.UID, route.ResourceVersion = "copy", types.UID(fmt.Sprintf("uid-copy-%d", step)), "1"
		route.CreationTimestamp = metav1.Unix(int64(step%2), 0)
		in.HTTPRoutes = append(slices.Clip(in.HTTPRoutes), route)
		return
	default:
		opt.Spec.Options.Rbac = nil
	}
	bump(&route.ObjectMeta)
	bump(&opt.ObjectMeta)
	if r.IntN(2) == 0 { // in place, as a caller reusing its slices does
		in.HTTPRoutes[i], in.RouteOptions[j] = route, opt
	} else {
		in.HTTPRoutes, in.RouteOptions = slices.Clone(in.HTTPRoutes), slices.Clone(in.RouteOptions)
		in.HTTPRoutes[i], in.RouteOptions[j] = route, opt
	}
}

// statusWrites replaces a random route and RouteOption of in (in place) with copies a
// status write made: a new object at the same generation, which the reconciler names
// in Inputs.Changed. It returns their names.
func statusWrites(r *rand.Rand, in *Inputs) Changed {
	return Changed{HTTPRoutes: statusWriteOne(r, in.HTTPRoutes), RouteOptions: statusWriteOne(r, in.RouteOptions)}
}

// statusWriteOne replaces a random object of objs with a status write's copy of it and
// returns its name; none when objs is empty.
func statusWriteOne[T any, P interface {
	*T
	metav1.Object
	DeepCopy() *T
}](r *rand.Rand, objs []P) []types.NamespacedName {
	if len(objs) == 0 {
		return nil
	}
	i := r.IntN(len(objs))
	o := P(objs[i].DeepCopy())
	statusWrite(o)
	objs[i] = o
	return []types.NamespacedName{nsName(o)}
}

// TestStatusWriteFreesTheReplacedObjects replaces a route and a RouteOption with the
// objects a status write leaves in the cache, named as the reconciler names them, and
// requires the compiler to let go of the objects replaced: at 10,000 routes, holding
// them would keep a second copy of each object whose status was written.
func TestStatusWriteFreesTheReplacedObjects(t *testing.T) {
	in := withVersions(generateInputs(5))
	k := NewCompiler()
	k.Compile(in)
	next := in
	next.HTTPRoutes, next.RouteOptions = slices.Clone(in.HTTPRoutes), slices.Clone(in.RouteOptions)
	route, opt := next.HTTPRoutes[2].DeepCopy(), next.RouteOptions[1].DeepCopy()
	statusWrite(&route.ObjectMeta)
	statusWrite(&opt.ObjectMeta)
	oldRoute, oldOpt := weak.Make(next.HTTPRoutes[2]), weak.Make(next.RouteOptions[1])
	next.HTTPRoutes[2], next.RouteOptions[1] = route, opt
	next.Changed = &Changed{HTTPRoutes: []types.NamespacedName{nsName(route)}, RouteOptions: []types.NamespacedName{nsName(opt)}}
	in = Inputs{}
	deltas := k.deltas
	got := k.Compile(next)
	require.Equal(t, deltas+1, k.deltas, "compiled incrementally")
	require.Empty(t, got.Recomputed.HTTPRoutes, "a status write decides no status again")
	require.Empty(t, got.Recomputed.RouteOptions, "a status write decides no status again")
	runtime.GC()
	runtime.GC()
	require.Nil(t, oldRoute.Value(), "the compiler still holds the route replaced")
	require.Nil(t, oldOpt.Value(), "the compiler still holds the RouteOption replaced")
	requireCurrentObjects(t, k, next)
}

// requireCurrentObjects requires every kept compile to point at the current inputs,
// the objects of in.
func requireCurrentObjects(t *testing.T, k *Compiler, in Inputs) {
	t.Helper()
	c := k.prev
	require.NotNil(t, c)
	require.Len(t, c.idx.routes, len(in.HTTPRoutes))
	for _, r := range in.HTTPRoutes {
		require.Same(t, r, c.idx.routes[nsName(r)], "route %s", nsName(r))
	}
	require.Len(t, c.idx.rtos, len(in.RouteOptions))
	for _, o := range in.RouteOptions {
		require.Same(t, o, c.idx.rtos[nsName(o)], "RouteOption %s", nsName(o))
	}
	for key, ir := range c.routes {
		require.Same(t, c.idx.routes[key], ir.obj, "route %s", key)
	}
	for key, ir := range c.rtos {
		require.Same(t, c.idx.rtos[key], ir.obj, "RouteOption %s", key)
	}
	for i, r := range c.idx.sortedRoutes {
		require.Same(t, c.idx.routes[nsName(r)], r)
		if i > 0 {
			require.Negative(t, compareKeys(nsName(c.idx.sortedRoutes[i-1]), nsName(r)))
		}
	}
	for _, o := range c.idx.sortedRTOs {
		require.Same(t, c.idx.rtos[nsName(o)], o)
	}
}

// objectVersions are the versions of the HTTPRoutes and RouteOptions of an input.
type objectVersions struct {
	routes, rtos map[types.NamespacedName]objectVersion
}

func versionsOf(in Inputs) objectVersions {
	v := objectVersions{routes: map[types.NamespacedName]objectVersion{}, rtos: map[types.NamespacedName]objectVersion{}}
	for _, r := range in.HTTPRoutes {
		v.routes[nsName(r)], _ = versionOf(r)
	}
	for _, o := range in.RouteOptions {
		v.rtos[nsName(o)], _ = versionOf(o)
	}
	return v
}

// changedBetween names the objects added, removed or at another version.
func changedBetween(a, b objectVersions) *Changed {
	keys := func(x, y map[types.NamespacedName]objectVersion) []types.NamespacedName {
		var out []types.NamespacedName
		for k, v := range x {
			if w, ok := y[k]; !ok || w != v {
				out = append(out, k)
			}
		}
		for k := range y {
			if _, ok := x[k]; !ok {
				out = append(out, k)
			}
		}
		return out
	}
	return &Changed{HTTPRoutes: keys(a.routes, b.routes), RouteOptions: keys(a.rtos, b.rtos)}
}
