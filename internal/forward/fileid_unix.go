//go:build unix

package forward

import (
	"os"
	"syscall"
)

// fileID identifies a file across renames (its inode), so a rotation is
// recognised after a restart too.
func fileID(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
