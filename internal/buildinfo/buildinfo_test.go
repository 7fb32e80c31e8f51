package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123abc"}, {Key: "vcs.time", Value: "2025-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	for _, c := range []struct {
		name                  string
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  Info
	}{
		{"release build: the stamps win", "v1.2.3", "fffeee", "2025-06-01T00:00:00Z", vcs,
			Info{Version: "v1.2.3", Commit: "fffeee", Date: "2025-06-01T00:00:00Z"}},
		{"go build in a checkout: VCS info, dirty", "", "", "", vcs,
			Info{Version: "dev", Commit: "0123abc-dirty", Date: "2025-01-02T03:04:05Z"}},
		{"go install module@version", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}},
			Info{Version: "v0.9.0", Commit: "unknown", Date: "unknown"}},
		{"nothing known", "", "", "", nil, Info{Version: "dev", Commit: "unknown", Date: "unknown"}},
	} {
		got := resolve(c.version, c.commit, c.date, c.bi)
		got.GoVersion = ""
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
