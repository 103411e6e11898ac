// Command starttime times whole runs of commands, for scripts/bench-start:
//
//	starttime N CMD [CMD...]
//
// Each CMD is one argument, the command line split at spaces; "%d" in it
// is the run's number, and a part after " ; " runs after each run, untimed
// (a server's start, then its halt through env(1):
// "rump_server unix://k%d ; env RUMP_SERVER=unix://k%d rhalt"). The commands
// run one after another, N rounds of all of them, each by fork and exec
// with no shell between and its output to /dev/null; a command that fails
// stops the run. For each it prints one line: the command, the median
// wall-clock time of its runs and the median of their CPU time (user and
// system), both in milliseconds, then every run's wall-clock time.
// Interleaving the commands round by round spreads the machine's changing
// load over all of them alike, so their ratios hold better than their
// absolute figures.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "starttime:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: starttime N CMD [CMD...]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return fmt.Errorf("bad count %q", args[0])
	}
	cmds := args[1:]
	wall := make([][]float64, len(cmds))
	cpu := make([][]float64, len(cmds))
	for r := 0; r < n; r++ {
		for i, c := range cmds {
			timed, after, _ := strings.Cut(strings.ReplaceAll(c, "%d", strconv.Itoa(r)), " ; ")
			w, u, err := once(strings.Fields(timed))
			if err != nil {
				return fmt.Errorf("%s: %w", timed, err)
			}
			if after != "" {
				if _, _, err := once(strings.Fields(after)); err != nil {
					return fmt.Errorf("%s: %w", after, err)
				}
			}
			wall[i] = append(wall[i], w)
			cpu[i] = append(cpu[i], u)
		}
	}
	for i, c := range cmds {
		runs := make([]string, len(wall[i]))
		for j, w := range wall[i] {
			runs[j] = strconv.FormatFloat(w, 'f', 3, 64)
		}
		fmt.Printf("%s\t%.3f\t%.3f\t%s\n", c, median(wall[i]), median(cpu[i]), strings.Join(runs, " "))
	}
	return nil
}

// once runs argv and returns its wall-clock and CPU time in milliseconds.
func once(argv []string) (float64, float64, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, err
	}
	w := time.Since(start)
	u := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return ms(w), ms(u), nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return m
}
