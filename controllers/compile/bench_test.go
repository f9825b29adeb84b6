package compile

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	gatewayv1 "github.com/claimgate/claimgate/api/gateway/v1"
)

// BenchmarkCompile is a full compile of n HTTPRoutes, each with its own RouteOption,
// behind one Gateway with the tutorial's VirtualHostOption. It reports the heap in use
// right after the compile, with the result still reachable.
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			in := generateInputs(n)
			b.ReportAllocs()
			var res Result
			cpu := startCPU()
			for b.Loop() {
				res = Compile(in)
			}
			b.StopTimer()
			cpu.report(b)
			reportHeap(b, res)
		})
	}
}

// BenchmarkCompileOneChange compiles 10,000 routes after changing the RouteOption of
// one of them (a new resourceVersion, as the API server gives it), as the controller
// does when one object changes: "fresh" with Compile, "compiler" with a Compiler that
// reuses its previous work.
func BenchmarkCompileOneChange(b *testing.B) {
	const n = 10000
	models := []string{"gpt-4o", "gpt-3.5-turbo"}
	change := func(in *Inputs, i int) {
		o := generatedRouteOption("gloo-system", n/2, models[i%2])
		o.ResourceVersion, o.Generation = strconv.Itoa(i+2), int64(i+2)
		in.RouteOptions[n/2] = o
	}
	b.Run("fresh", func(b *testing.B) {
		in := withVersions(generateInputs(n))
		b.ReportAllocs()
		i := 0
		cpu := startCPU()
		for b.Loop() {
			change(&in, i)
			i++
			_ = Compile(in)
		}
		b.StopTimer()
		cpu.report(b)
	})
	b.Run("compiler", func(b *testing.B) {
		in := withVersions(generateInputs(n))
		k := NewCompiler()
		k.Compile(in)
		b.ReportAllocs()
		i := 0
		var res Result
		cpu := startCPU()
		for b.Loop() {
			change(&in, i)
			i++
			res = k.Compile(in)
		}
		b.StopTimer()
		cpu.report(b)
		reportHeap(b, res)
	})
}

// BenchmarkCompileOneChangeNewSlices is BenchmarkCompileOneChange/compiler as the
// controller calls it: every call gets the objects in new slices, in another order;
// "named" with the changed RouteOption named (Inputs.Changed), "unnamed" without.
func BenchmarkCompileOneChangeNewSlices(b *testing.B) {
	for _, named := range []bool{false, true} {
		b.Run(map[bool]string{false: "unnamed", true: "named"}[named], func(b *testing.B) { compileOneChangeNewSlices(b, named) })
	}
}

func compileOneChangeNewSlices(b *testing.B, named bool) {
	const n = 10000
	models := []string{"gpt-4o", "gpt-3.5-turbo"}
	base := withVersions(generateInputs(n))
	copies := []Inputs{shuffled(base, 1), shuffled(base, 2)}
	k := NewCompiler()
	k.Compile(copies[1])
	b.ReportAllocs()
	i := 0
	cpu := startCPU()
	for b.Loop() {
		in := copies[i%2]
		if named {
			in.Changed = &Changed{RouteOptions: []types.NamespacedName{{Namespace: "gloo-system", Name: "route-05000-opt"}}}
		}
		for j := range in.RouteOptions {
			if in.RouteOptions[j].Name == "route-05000-opt" {
				o := generatedRouteOption("gloo-system", n/2, models[i%2])
				o.ResourceVersion, o.Generation = strconv.Itoa(i+2), int64(i+2)
				in.RouteOptions[j] = o
			}
		}
		i++
		_ = k.Compile(in)
	}
	b.StopTimer()
	cpu.report(b)
}

// reportHeap reports HeapInuse right after the last compile (garbage included) and
// after a collection (what the result and the inputs keep alive).
func reportHeap(b *testing.B, keep Result) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heapinuse-MiB")
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "live-heap-MiB")
	runtime.KeepAlive(keep)
}

// BenchmarkVersion is the cost of hashing a 10,000-route snapshot alone.
func BenchmarkVersion(b *testing.B) {
	res := Compile(generateInputs(10000))
	snap := res.Snapshots[sortedKeys(res.Snapshots)[0]]
	b.ReportAllocs()
	for b.Loop() {
		_ = setVersion(snap)
	}
}

// cpuClock measures the CPU time of the process (compile and garbage collection), a
// steadier figure than wall time on a machine shared with other work.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { return cpuClock{start: processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-c.start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCompileReuse compares, at each size, a Compiler that reuses the unchanged
// routes and RouteOptions of its previous compile in a full compile (reuse=true) with
// one that compiles them all again (reuse=false), for: a new Compiler's first compile
// (full); one changed route (route, incremental); a changed Secret (secret, a full
// compile); as many changed routes as an incremental compile takes (limit) and one
// more (over, a full compile); routes and RouteOptions added, twice as many as an
// incremental compile takes, and removed again (added, full compiles).
func BenchmarkCompileReuse(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		for _, tc := range reuseCases(n) {
			for _, on := range []bool{true, false} {
				b.Run(fmt.Sprintf("case=%s/routes=%d/reuse=%t", tc.name, n, on), func(b *testing.B) {
					prev := reuseAcrossCompiles
					reuseAcrossCompiles = on
					defer func() { reuseAcrossCompiles = prev }()
					in := withVersions(generateInputs(n))
					var change func(i int)
					k := NewCompiler()
					if tc.prepare != nil {
						change = tc.prepare(&in)
						k.Compile(in)
					}
					b.ReportAllocs()
					i, deltas := 0, k.deltas
					cpu := startCPU()
					for b.Loop() {
						if change == nil {
							k = NewCompiler()
						} else {
							change(i)
						}
						i++
						_ = k.Compile(in)
					}
					b.StopTimer()
					cpu.report(b)
					b.ReportMetric(float64(k.deltas-deltas)/float64(b.N), "incremental/op")
				})
			}
		}
	}
}

type reuseCase struct {
	name string
	// prepare returns what changes in before the i-th compile; nil: every compile is a
	// new Compiler's.
	prepare func(in *Inputs) func(i int)
}

func reuseCases(n int) []reuseCase {
	limit := deltaLimit(&Inputs{HTTPRoutes: make([]*gwv1.HTTPRoute, n), RouteOptions: make([]*gatewayv1.RouteOption, n)})
	changeRoutes := func(m int) func(in *Inputs) func(int) {
		return func(in *Inputs) func(int) {
			return func(i int) {
				for j := range m {
					r := in.HTTPRoutes[j*n/m].DeepCopy()
					r.Spec.Rules[0].Matches[0].Path.Value = ptr(fmt.Sprintf("/%s/%d", r.Name, i%2))
					r.ResourceVersion, r.Generation = strconv.Itoa(i+2), int64(i+2)
					in.HTTPRoutes[j*n/m] = r
				}
			}
		}
	}
	return []reuseCase{
		{"full", nil},
		{"route", changeRoutes(1)},
		{"secret", func(in *Inputs) func(int) {
			return func(i int) {
				s := in.Secrets[0].DeepCopy()
				s.Data["Authorization"] = []byte("Bearer sk-" + strconv.Itoa(i))
				s.ResourceVersion = strconv.Itoa(i + 2)
				in.Secrets[0] = *s
			}
		}},
		{"limit", changeRoutes(limit)},
		{"over", changeRoutes(limit + 1)},
		{"added", func(in *Inputs) func(int) {
			base, grown := *in, *in
			more := withVersions(generateInputs(n + limit))
			grown.HTTPRoutes = append(slices.Clip(base.HTTPRoutes), more.HTTPRoutes[n:]...)
			grown.RouteOptions = append(slices.Clip(base.RouteOptions), more.RouteOptions[n:]...)
			return func(i int) {
				if i%2 == 0 {
					*in = grown
				} else {
					*in = base
				}
			}
		}},
	}
}

// BenchmarkCompilerHeap is the heap a Compiler keeps alive after compiling 10,000
// routes and RouteOptions (its state and the result; the inputs are not counted), as
// retained-MiB: the controller holds it for as long as it runs.
func BenchmarkCompilerHeap(b *testing.B) {
	in := withVersions(generateInputs(10000))
	var retained float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		k := NewCompiler()
		res := k.Compile(in)
		runtime.GC()
		runtime.ReadMemStats(&after)
		retained = float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		runtime.KeepAlive(k)
		runtime.KeepAlive(res)
	}
	b.ReportMetric(retained, "retained-MiB")
}
