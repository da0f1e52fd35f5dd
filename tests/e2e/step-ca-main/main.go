// Command step-ca is a test build of the Step-CA server for Phoenix's end-to-end
// tests. Debian packages the server's library sources
// (golang-github-smallstep-certificates-dev) but not its main package, so this
// file supplies one: it runs the library's start command, nothing more. Built
// by scripts/build-step-ca in GOPATH mode, offline.
package main

import (
	"fmt"
	"os"

	"github.com/smallstep/certificates/commands"
	"github.com/urfave/cli"
	"go.step.sm/cli-utils/step"
)

// version is set at link time (-X main.version=...) to the Debian package
// version the binary was built from, so the cache key and --version agree.
var version = "unknown"

func main() {
	step.Set("Smallstep CA (Phoenix test build)", version, "N/A")

	app := cli.NewApp()
	app.Name = "step-ca"
	app.HelpName = "step-ca"
	app.Usage = "online certificate authority (test build for Phoenix)"
	app.Version = version
	app.UsageText = commands.AppCommand.UsageText
	// The start command runs as a subcommand because urfave/cli reorders
	// flags only for subcommands: `step-ca ca.json --password-file F` (the
	// documented order, and what a systemd unit says) would otherwise read
	// --password-file as a second positional argument.
	app.Commands = []cli.Command{commands.AppCommand}

	if err := app.Run(withStart(os.Args)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// withStart puts the start command's name after the program name unless the
// caller asked the app itself for its version or help.
func withStart(args []string) []string {
	if len(args) > 1 {
		switch args[1] {
		case "--version", "-v", "--help", "-h", "help", commands.AppCommand.Name:
			return args
		}
	}
	return append([]string{args[0], commands.AppCommand.Name}, args[1:]...)
}
