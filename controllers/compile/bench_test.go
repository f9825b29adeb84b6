package compile

import (
	"fmt"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
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
// controller calls it: every call gets the objects in new slices, in another order.
func BenchmarkCompileOneChangeNewSlices(b *testing.B) {
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
