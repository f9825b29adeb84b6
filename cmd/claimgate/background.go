package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// up starts `claimgate demo run` detached from the terminal and returns once it is ready.
func up(o demoOptions) error {
	dir, bin := o.dir, o.bin
	if pid, err := readPid(dir); err == nil && alive(pid) {
		return fmt.Errorf("a demo is already running (pid %d); run `claimgate demo down` first", pid)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	_ = os.Remove(filepath.Join(dir, "ready"))
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program: %w", err)
	}
	logPath := filepath.Join(dir, "demo.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("creating %s: %w", logPath, err)
	}
	defer logf.Close()
	args := []string{"demo", "run", "--dir", dir, "--bin", bin, "--port", strconv.Itoa(o.port), "--proxies", strconv.Itoa(o.proxies)}
	if o.redis {
		args = append(args, "--redis")
	}
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the demo: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600); err != nil {
		return fmt.Errorf("writing the pid file: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return waitReady(dir, logPath, exited)
}

func waitReady(dir, logPath string, exited <-chan error) error {
	deadline := time.After(5 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			fmt.Printf("claimgate demo is up. In this shell:\n\n  source %s\n\nthen see %s for the curl commands; `make demo-down` stops it.\n",
				filepath.Join(dir, "env"), logPath)
			return nil
		}
		select {
		case err := <-exited:
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("the demo stopped before it was ready (%w):\n%s", err, out)
		case <-deadline:
			return fmt.Errorf("the demo was not ready after 5 minutes; see %s", logPath)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// down stops the demo `up` started and waits until every process of it has ended.
func down(dir string) error {
	pid, err := readPid(dir)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Println("no demo is running")
		return nil
	}
	if err != nil {
		return err
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; alive(pid) && i < 300; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if alive(pid) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	_ = os.Remove(filepath.Join(dir, "pid"))
	_ = os.Remove(filepath.Join(dir, "ready"))
	fmt.Println("claimgate demo stopped")
	return nil
}

func readPid(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		return 0, fmt.Errorf("reading the demo's pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("the pid file %s is damaged: %w", filepath.Join(dir, "pid"), err)
	}
	return pid, nil
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
