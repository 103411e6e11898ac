// Package scripts writes the completion scripts the shells load. For zsh and fish cobra writes
// them for every tool with a root command (they call "TOOL __complete
// ..."); for bash our own short script asks the same question, because
// cobra's bash script needs the bash-completion package, and a tool's
// completion should not. rumphijack, which has no root command and must run any program, gets
// scripts of its own that complete a command and then that command's
// arguments.
//
// It is apart from package cli because cobra writes the zsh and fish
// scripts: the tools answer a completion themselves (cli.Tool.Run), and
// must not link cobra for the scripts' sake. It must not be imported by a
// tool.
package scripts

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/spf13/cobra"
)

// multiCall is the rumpnet binary that is every tool; its script is a
// tool's, since it answers "__complete" for its own words and hands a
// tool's words to that tool.
const multiCall = "rumpnet"

// Scripts returns every completion script by its path under the script
// directory: bash/NAME, zsh/_NAME and fish/NAME.fish.
func Scripts() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range append(slices.Clone(cli.CompletedTools), multiCall) {
		root := &cobra.Command{Use: name}
		var z, f bytes.Buffer
		if err := root.GenZshCompletionNoDesc(&z); err != nil {
			return nil, fmt.Errorf("zsh script of %s: %w", name, err)
		}
		if err := root.GenFishCompletion(&f, false); err != nil {
			return nil, fmt.Errorf("fish script of %s: %w", name, err)
		}
		files["bash/"+name] = []byte(fmt.Sprintf(toolBash, name))
		files["zsh/_"+name] = z.Bytes()
		files["fish/"+name+".fish"] = f.Bytes()
	}
	files["bash/rumphijack"] = []byte(hijackBash)
	files["zsh/_rumphijack"] = []byte(hijackZsh)
	files["fish/rumphijack.fish"] = []byte(hijackFish)
	return files, nil
}

// WriteScripts writes Scripts under dir.
func WriteScripts(dir string) error {
	files, err := Scripts()
	if err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// toolBash is the bash script of the tool %[1]s: the tool answers
// "TOOL __completeNoDesc WORD... CURRENT" with a candidate a line and then
// ":N", cobra's directive (1 error, 2 no space, 4 no file names).
const toolBash = `# bash completion for %[1]s                           -*- shell-script -*-

_rumpnet_complete() {
	local cur=${COMP_WORDS[COMP_CWORD]} out directive w
	COMPREPLY=()
	out=$("$1" __completeNoDesc "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return
	directive=${out##*:}
	out=${out%%:*}
	[[ $directive =~ ^[0-9]+$ ]] && ! ((directive & 1)) || return
	while IFS= read -r w; do
		[[ -n $w ]] && COMPREPLY+=("$w")
	done <<<"$out"
	((directive & 2)) && compopt -o nospace
	((directive & 4)) && compopt +o default
	return 0
}
complete -o default -F _rumpnet_complete %[1]s
`

// hijackBash completes rumphijack's -v, then a command, then hands the
// rest of the line to that command's completion when bash-completion's
// _command_offset is there, or to file names.
const hijackBash = `# bash completion for rumphijack                           -*- shell-script -*-

_rumphijack() {
	local i=1 cur=${COMP_WORDS[COMP_CWORD]}
	while ((i < COMP_CWORD)) && [[ ${COMP_WORDS[i]} == -* ]]; do
		((i++))
	done
	if ((i == COMP_CWORD)); then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-v" -- "$cur"))
		else
			COMPREPLY=($(compgen -c -- "$cur"))
		fi
	elif declare -F _command_offset >/dev/null; then
		_command_offset "$i"
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o default -F _rumphijack rumphijack
`

// hijackZsh is the zsh form: -v, a command, then its own completion.
const hijackZsh = `#compdef rumphijack

_arguments -s \
	'-v[report what the supervisor does]' \
	'1:command:_command_names -e' \
	'*::arguments:_normal'
`

// hijackFish is the fish form: -v, then a command and its completion.
const hijackFish = `# fish completion for rumphijack
complete -c rumphijack -s v -d 'report what the supervisor does'
complete -c rumphijack -x -a '(__fish_complete_subcommand)'
`
