package main

import (
	"github.com/passkeyd/passkeyd/config"
	"github.com/passkeyd/passkeyd/httpapi"
)

// publishedApps turns the apps block into the /.well-known/ documents' content, one
// statement per package with every certificate it is signed with.
func publishedApps(cfg *config.Config) httpapi.Apps {
	out := httpapi.Apps{RelatedOrigins: cfg.Apps.RelatedOrigins, IOS: cfg.Apps.IOS}
	index := map[string]int{}
	for _, a := range cfg.AndroidApps() {
		i, ok := index[a.Package]
		if !ok {
			i = len(out.Android)
			index[a.Package] = i
			out.Android = append(out.Android, httpapi.AndroidApp{Package: a.Package})
		}
		out.Android[i].Fingerprints = append(out.Android[i].Fingerprints, a.FingerprintHex())
	}
	return out
}
