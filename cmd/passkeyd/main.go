// Command passkeyd is the passkey authentication server.
//
//	passkeyd [serve] [flags]   run the server (the default)
//	passkeyd migrate [flags]   apply database migrations and exit
//	passkeyd admin COMMAND     call the operator API (user, revoke-passkey, revoke-sessions, …)
//	passkeyd doctor [-url URL] check a configuration (and a running deployment)
//	passkeyd import -file F    import users (JSON Lines: username, passwordHash, totpSecret)
//	passkeyd probe -url URL    run a synthetic sign-up/sign-in journey against a server
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
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
	if slices.Contains(args, "-h") || slices.Contains(args, "-help") || slices.Contains(args, "--help") {
		fmt.Fprint(stdout, usage())
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
		return importUsers(ctx, args, getenv, stdout)
	case "probe":
		return probe(ctx, args, stdout)
	case "version":
		fmt.Fprintln(stdout, "passkeyd", version)
		return nil
	case "help":
		fmt.Fprint(stdout, usage())
		return nil
	}
	return fmt.Errorf("unknown command %q (want serve, migrate, admin, doctor, import, probe or version)", cmd)
}
