package repotest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedFiles fails when a git-tracked file is an executable or over 1 MiB and not
// data. It runs on the checkout the test is built from.
func TestCommittedFiles(t *testing.T) {
	out, err := exec.Command("git", "-C", "../..", "ls-files", "-z").Output()
	if err != nil {
		if os.Getenv("PASSKEYD_TEST_REQUIRE") == "all" {
			t.Fatalf("git ls-files: %v", err)
		}
		t.Skipf("not a git checkout or no git: %v", err)
	}
	var files []string
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) > 0 {
			files = append(files, string(f))
		}
	}
	if len(files) < 10 {
		t.Fatalf("git ls-files listed %d files; is this the repository?", len(files))
	}
	problems, err := Problems("../..", files)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Errorf("files that must not be committed (remove them, or add them to .gitignore):\n%s", strings.Join(problems, "\n"))
	}
}

func TestProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("x"), MaxFileSize+1)
	write("passkeyd", append([]byte{0x7f, 'E', 'L', 'F'}, 0, 0)) // small, but a binary
	write("dump.sql", big)
	write("ceremony/testdata/vectors.bin", big)
	write("openapi/openapi.json", big)
	write("small.go", []byte("package x"))
	got, err := Problems(dir, []string{"passkeyd", "dump.sql", "ceremony/testdata/vectors.bin", "openapi/openapi.json", "small.go", "gone.txt"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"passkeyd: a compiled executable", "dump.sql: 1048577 bytes (over 1048576 and not data)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Problems:\n got %q\nwant %q", got, want)
	}
}
