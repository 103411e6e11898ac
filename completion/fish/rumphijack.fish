# fish completion for rumphijack
complete -c rumphijack -s v -d 'report what the supervisor does'
complete -c rumphijack -x -a '(__fish_complete_subcommand)'
