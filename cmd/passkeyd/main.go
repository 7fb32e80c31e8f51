// Command passkeyd is the passkey authentication server.
//
//	passkeyd [serve] [flags]   run the server (the default)
//	passkeyd migrate [flags]   apply database migrations and exit
//	passkeyd admin COMMAND     call the operator API (user, revoke-passkey, revoke-sessions, …)
//	passkeyd doctor [-url URL] check a configuration (and a running deployment)
//	passkeyd import -file F    import users (JSON Lines: username, passwordHash, totpSecret)
//	passkeyd probe -url URL    run a synthetic sign-up/sign-in journey against a server
//	passkeyd healthcheck       exit 0 when a running server's /healthz answers 200
//	passkeyd version           print the version
//
// Every flag also has a PASSKEYD_* environment variable and a configuration file key; see
// `passkeyd -h` and the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/passkeyd/passkeyd/internal/buildinfo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defaultGC(os.Getenv)
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "passkeyd:", err)
		os.Exit(1)
	}
}

// run is main without the process: tests call it with their own arguments, environment and
// output, and cancel ctx to stop the server.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "serve" && len(args) == 1 && (args[0] == "-version" || args[0] == "--version") {
		cmd = "version"
	}
	// Each subcommand answers -h with its own usage; only serve's is the server's settings.
	if help, ok := subcommandUsage[cmd]; ok && wantsHelp(args) {
		fmt.Fprint(stdout, help())
		return nil
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, getenv, stdout)
	case "admin":
		return admin(ctx, args, getenv, stdout)
	case "doctor":
		return doctor(ctx, args, getenv, stdout)
	case "import":
		return importUsers(ctx, args, getenv, stdout, stderr)
	case "probe":
		return probe(ctx, args, stdout)
	case "healthcheck":
		return healthcheck(ctx, args, stdout)
	case "version":
		fmt.Fprintln(stdout, buildinfo.Get())
		return nil
	case "help":
		fmt.Fprint(stdout, usage())
		return nil
	}
	return fmt.Errorf("unknown command %q (want serve, migrate, admin, doctor, import, probe, healthcheck or version)", cmd)
}

func wantsHelp(args []string) bool {
	return slices.Contains(args, "-h") || slices.Contains(args, "-help") || slices.Contains(args, "--help")
}

// serverFlagsNote ends the usage of the subcommands that read the server's configuration.
const serverFlagsNote = `
It reads the server's configuration (file, PASSKEYD_* variables and flags) to find the
database and the settings: see passkeyd -h.
`

// subcommandUsage is each subcommand's -h text.
var subcommandUsage = map[string]func() string{
	"serve": usage,
	"help":  usage,
	"version": func() string {
		return "usage: passkeyd version (or passkeyd -version)\n\nPrints the version, commit and build date.\n"
	},
	"migrate": func() string {
		return "usage: passkeyd migrate [server flags]\n\nApplies the pending database migrations and exits (serve also applies them at start).\n" + serverFlagsNote
	},
	"doctor": func() string {
		return "usage: passkeyd doctor [-url URL] [server flags]\n\nChecks a configuration, its database, Redis and webhook receivers, and with -url a running\ndeployment (its clock, headers, /readyz). Exits non-zero on any error.\n\n  -url URL   base URL of a running passkeyd to check as well\n" + serverFlagsNote
	},
	"import": func() string {
		return importUsage + serverFlagsNote
	},
	"probe": func() string { return flagUsage(probeFlags(new(probeOptions)), probeAbout) },
	"healthcheck": func() string {
		var u, p string
		var d time.Duration
		return flagUsage(healthcheckFlags(&u, &p, &d), healthcheckAbout)
	},
	"admin": func() string {
		return adminUsage + "\n\nFlags:\n" + flagDefaults(adminFlags(new(adminOptions), func(string) string { return "" }))
	},
}
