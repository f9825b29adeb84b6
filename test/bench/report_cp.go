package bench

import (
	"fmt"
	"os/exec"
	"runtime"
	"strings"
)

func (r *Results) cpTable(b *strings.Builder) {
	b.WriteString("## Control plane (local kube-apiserver, controller, one proxy)\n\n")
	if r.Config.SkipControlPlane {
		b.WriteString("Skipped.\n\n")
		return
	}
	if r.cpErr != "" {
		fmt.Fprintf(b, "Failed to start: %s\n\n", r.cpErr)
		return
	}
	b.WriteString("| HTTPRoutes + RouteOptions | create | create → last route served | first change after adding routes | statuses written after | apply → enforced p50 | p99 (max) | of which the API write, p50 | changes | " +
		"compile (mean) | controller RSS / peak | snapshot | churn: bad / requests |\n")
	b.WriteString("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, c := range r.cp {
		if c.err != "" {
			fmt.Fprintf(b, "| %d | failed: %s | | | | | | | | | | | |\n", c.routes, oneLine(c.err))
			continue
		}
		settled := "n/a"
		if c.settled >= 0 {
			settled = fmt.Sprintf("%.1f s", c.settled.Seconds())
		}
		fmt.Fprintf(b, "| %d | %.1f s | %.1f s | %s | %s | %s | %s | %s | %d (%d failed) | %s | %.0f / %.0f MiB | %.0f KiB | %d / %d |\n",
			c.routes, c.create.Seconds(), c.served.Seconds(), ms(c.firstApply), settled, ms(median(c.apply)), ms(quantile(c.apply, 0.99)),
			ms(median(c.write)), len(c.apply), c.applyFailures, ms(c.compileMean), float64(c.rssKiB)/1024, float64(c.hwmKiB)/1024,
			c.snapshotBytes/1024, c.churnBad, c.churnRequests)
	}
	b.WriteString("\n")
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// machine describes the machine and the tools' versions.
func machine() string {
	hp := "haproxy missing"
	if out, err := exec.Command("haproxy", "-v").Output(); err == nil {
		hp = strings.SplitN(string(out), " ", 4)[2]
		hp = "HAProxy " + hp
	}
	return fmt.Sprintf("%d CPUs, %s, %s", runtime.NumCPU(), runtime.Version(), hp)
}
