package main

import (
	"flag"
	"strings"
)

// flagDefaults is the flag package's listing of fs's flags.
func flagDefaults(fs *flag.FlagSet) string {
	var b strings.Builder
	prior := fs.Output()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(prior)
	return b.String()
}

// flagUsage is a flag-only subcommand's -h text.
func flagUsage(fs *flag.FlagSet, about string) string {
	return "usage: passkeyd " + fs.Name() + " [flags]\n\n" + about + "\n\nFlags:\n" + flagDefaults(fs)
}
