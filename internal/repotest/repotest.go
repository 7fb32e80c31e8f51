// Package repotest holds checks on the repository itself (what is committed), not on the
// program: a release built from a clone must not carry a stray binary or a dump.
package repotest

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// MaxFileSize is the largest file that may be committed unless it is data.
const MaxFileSize = 1 << 20

// dataExts are the file kinds that are data (vectors, lists, documents) and may be large.
var dataExts = map[string]bool{".json": true, ".jsonl": true, ".txt": true, ".csv": true}

// IsData reports whether a repository path is data that may exceed MaxFileSize: a file
// under a testdata/ folder or of a data kind.
func IsData(p string) bool {
	if strings.HasPrefix(p, "testdata/") || strings.Contains(p, "/testdata/") {
		return true
	}
	return dataExts[strings.ToLower(path.Ext(p))]
}

// executableMagic are the first bytes of ELF and Mach-O files (both byte orders, 32/64,
// universal): a compiled program is never source, whatever its size. (PE's "MZ" is too
// common at the start of text to tell by.)
var executableMagic = [][]byte{
	{0x7f, 'E', 'L', 'F'},
	{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
	{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe},
	{0xca, 0xfe, 0xba, 0xbe},
}

// Problems returns one line per committed file (paths relative to root, as git prints them)
// that must not be committed: an executable, or a file over MaxFileSize that is not data.
func Problems(root string, files []string) ([]string, error) {
	var out []string
	for _, f := range files {
		full := filepath.Join(root, filepath.FromSlash(f))
		st, err := os.Lstat(full)
		if os.IsNotExist(err) {
			continue // deleted in the work tree, not yet committed
		}
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			continue
		}
		if st.Size() > MaxFileSize && !IsData(f) {
			out = append(out, fmt.Sprintf("%s: %d bytes (over %d and not data)", f, st.Size(), MaxFileSize))
			continue
		}
		head := make([]byte, 4)
		fh, err := os.Open(full)
		if err != nil {
			return nil, err
		}
		n, _ := fh.Read(head)
		fh.Close()
		for _, m := range executableMagic {
			if n >= len(m) && bytes.Equal(head[:len(m)], m) {
				out = append(out, f+": a compiled executable")
				break
			}
		}
	}
	return out, nil
}
