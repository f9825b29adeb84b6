package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat; it is 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// cpuSeconds returns the user + system CPU time pid has used.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the stat of %d: %w", pid, err)
	}
	// The command name may hold spaces: the fields that follow start after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed stat of %d", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// After ')': state is field 3, utime field 14, stime field 15 (1-based, whole line).
	if len(f) < 13 {
		return 0, fmt.Errorf("short stat of %d", pid)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parsing the stat of %d: %q %q", pid, f[11], f[12])
	}
	return (ut + st) / clockTicks, nil
}

// memKiB returns a field of /proc/<pid>/status in KiB, e.g. VmHWM (peak RSS) or VmRSS.
func memKiB(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the status of %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		v := strings.Fields(rest)
		if len(v) == 0 {
			break
		}
		return strconv.ParseInt(v[0], 10, 64)
	}
	return 0, fmt.Errorf("no %s in the status of %d", field, pid)
}
