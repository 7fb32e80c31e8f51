// Package buildinfo says which passkeyd this is: the version, commit and build date stamped
// by a release build (-ldflags -X), or, for a plain `go build` in a checkout, the commit and
// time the Go toolchain recorded from version control.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// Stamped by release builds (.goreleaser.yaml):
//
//	-ldflags "-X github.com/passkeyd/passkeyd/internal/buildinfo.version=v1.2.3
//	          -X github.com/passkeyd/passkeyd/internal/buildinfo.commit=…
//	          -X github.com/passkeyd/passkeyd/internal/buildinfo.date=2025-…"
var version, commit, date string

// Info is what a binary knows of its build.
type Info struct {
	Version   string // v1.2.3 for a release, "dev" otherwise
	Commit    string // full commit hash, with "-dirty" for uncommitted changes; "unknown" without VCS
	Date      string // RFC 3339 build (release) or commit (checkout) time; "unknown" if neither
	GoVersion string
}

// Get returns the binary's build information.
var Get = sync.OnceValue(func() Info { return resolve(version, commit, date, readBuildInfo()) })

func readBuildInfo() *debug.BuildInfo {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	return bi
}

// resolve prefers the ldflags stamps, then the VCS settings the toolchain embeds in a build
// inside a checkout (vcs.revision, vcs.time, vcs.modified), then the module version of a
// `go install …@v1.2.3`.
func resolve(version, commit, date string, bi *debug.BuildInfo) Info {
	in := Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version()}
	if bi != nil {
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.time":
				if in.Date == "" {
					in.Date = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && commit == "" && in.Commit != "" && !strings.HasSuffix(in.Commit, "-dirty") {
			in.Commit += "-dirty"
		}
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
	}
	if in.Version == "" {
		in.Version = "dev"
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	if in.Date == "" {
		in.Date = "unknown"
	}
	return in
}

// String is the one line `passkeyd version` prints.
func (i Info) String() string {
	return "passkeyd " + i.Version + " (commit " + i.Commit + ", built " + i.Date + ", " + i.GoVersion + ")"
}
