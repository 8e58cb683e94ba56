package patterns

// Two more invented services, kernel messages and an application server.

import (
	"fmt"
	"math/rand/v2"
)

func kernelLog() []labelled {
	devs := []string{"sda", "sdb", "nvme0n1", "sdc", "mmcblk0"}
	ifs := []string{"eth0", "eth1", "wlan0", "enp3s0", "bond0"}
	return draw(5, 1500, []event{
		{"usb-high", 6, func(r *rand.Rand) string {
			return fmt.Sprintf("usb %d-%d: new high-speed USB device number %d using xhci_hcd", 1+r.IntN(3), 1+r.IntN(6), r.IntN(90))
		}},
		{"usb-super", 4, func(r *rand.Rand) string {
			return fmt.Sprintf("usb %d-%d: new SuperSpeed USB device number %d using xhci_hcd", 1+r.IntN(3), 1+r.IntN(6), r.IntN(90))
		}},
		{"mount", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("EXT4-fs (%s%d): mounted filesystem with ordered data mode. Opts: (null)", skewed(r, devs...), 1+r.IntN(4))
		}},
		{"link-up", 8, func(r *rand.Rand) string {
			return fmt.Sprintf("%s: Link is Up - %dMbps/Full - flow control rx/tx", skewed(r, ifs...), pick2(r, 100, 1000, 10000))
		}},
		{"link-down", 8, func(r *rand.Rand) string { return fmt.Sprintf("%s: Link is Down", skewed(r, ifs...)) }},
		{"oom", 3, func(r *rand.Rand) string {
			return fmt.Sprintf("Out of memory: Killed process %d (%s) total-vm:%dkB, anon-rss:%dkB, file-rss:%dkB", r.IntN(99999), pick(r, "java", "postgres", "chrome", "node", "python3", "mysqld"), r.IntN(1e7), r.IntN(1e6), r.IntN(1e5))
		}},
		{"segfault", 4, func(r *rand.Rand) string {
			return fmt.Sprintf("%s[%d]: segfault at %x ip %016x sp %016x error %d in %s[%x+%x]", skewed(r, "java", "postgres", "chrome", "node", "python3"), r.IntN(99999), r.Uint32(), r.Uint64(), r.Uint64(), 4+r.IntN(3), pick(r, "libc.so.6", "libpthread-2.31.so", "ld-2.31.so"), r.Uint32(), r.IntN(9000))
		}},
		{"temp", 8, func(r *rand.Rand) string {
			return fmt.Sprintf("CPU%d: Core temperature above threshold, cpu clock throttled (total events = %d)", r.IntN(16), r.IntN(99999))
		}},
		{"temp-ok", 8, func(r *rand.Rand) string {
			return fmt.Sprintf("CPU%d: Core temperature/speed normal", r.IntN(16))
		}},
		{"audit", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("audit: type=1400 audit(%d.%03d:%d): apparmor=\"DENIED\" operation=\"open\" profile=\"%s\" name=\"%s\" pid=%d comm=\"%s\"", 1700000000+r.IntN(1e6), r.IntN(1000), r.IntN(999), pick(r, "snap.firefox", "docker-default", "cups"), pick(r, "/proc/1/status", "/etc/ssl/openssl.cnf"), r.IntN(99999), pick(r, "firefox", "runc", "cupsd"))
		}},
	})
}

func appServerLog() []labelled {
	return draw(6, 1500, []event{
		{"req", 40, func(r *rand.Rand) string {
			return fmt.Sprintf("request completed method=GET path=/api/v%d/%s/%d status=%d duration=%dms", 1+r.IntN(2), pick(r, "users", "orders", "items", "carts", "invoices"), r.IntN(99999), pick2(r, 200, 200, 304, 404), r.IntN(900))
		}},
		{"slow", 5, func(r *rand.Rand) string {
			return fmt.Sprintf("slow query took %.3f s: SELECT * FROM %s WHERE id = $1", r.Float64()*9, pick(r, "users", "orders", "items", "carts", "invoices"))
		}},
		{"pool", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("HikariPool-%d - Pool stats (total=%d, active=%d, idle=%d, waiting=%d)", 1+r.IntN(2), 10, r.IntN(10), r.IntN(10), r.IntN(5))
		}},
		{"gc", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("[gc] GC(%d) Pause Young (Normal) (G1 Evacuation Pause) %dM->%dM(%dM) %.3fms", r.IntN(9999), r.IntN(900), r.IntN(900), 1024, r.Float64()*40)
		}},
		{"cache-miss", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("cache miss for key %s:%d, loading from database", pick(r, "user", "order", "session", "cart", "price"), r.IntN(99999))
		}},
		{"login-ok", 8, func(r *rand.Rand) string {
			return fmt.Sprintf("user %s logged in from %s", skewed(r, "alice", "bob", "carol", "dave", "erin", "frank", "grace"), host(r))
		}},
		{"login-fail", 4, func(r *rand.Rand) string {
			return fmt.Sprintf("user %s failed to log in from %s: bad password", skewed(r, "alice", "bob", "carol", "dave", "erin", "frank", "grace"), host(r))
		}},
		{"retry", 5, func(r *rand.Rand) string {
			return fmt.Sprintf("retrying call to %s (attempt %d of 5) after %s", genHostPort(r), 1+r.IntN(5), elapsed(r))
		}},
		{"health", 8, func(*rand.Rand) string { return "health check passed" }},
	})
}
