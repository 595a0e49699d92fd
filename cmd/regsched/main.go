// Command regsched trains Gorgonia models under regularization schedules.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// rootCmd is the top-level command. Each subcommand file registers
// itself in an init function.
var rootCmd = &cobra.Command{
	Use:           "regsched",
	Short:         "Train Gorgonia models under regularization and sparsity schedules",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "regsched:", err)
		os.Exit(exitCode(err))
	}
}

// usageError marks a bad flag, argument or spec: the command exits with
// status 2 and writes nothing.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode returns 2 for usage errors and 1 for every other failure.
func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}
