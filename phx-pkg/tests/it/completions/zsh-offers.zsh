# What zsh's completion system offers for a command line, for the tests
# (completions/mod.rs): zsh -f zsh-offers.zsh DIR 'LINE' prints one match a line.
# DIR holds the _NAME completion functions. Completion only runs inside the
# line editor, so an interactive zsh is started on a pseudo-terminal (zpty),
# LINE and a TAB are typed into it, and compadd, which every completion
# function calls to offer words, is wrapped to print them.
if [[ $1 == --setup ]]; then
    fpath=($2 $fpath)
    autoload -U compinit && compinit -u -D
    PS1='' RPS1=''
    bindkey '^I' complete-word
    zstyle ':completion:*' insert-tab false
    compadd() {
        # -O, -A, -D: a caller asking which words match, not offering them.
        if [[ " $* " == *" -"[OAD]" "* ]]; then
            builtin compadd "$@"
            return
        fi
        local -a matched
        builtin compadd -O matched "$@"
        local w
        for w in $matched; do print -r -- "PHX-OFFERS $w"; done
        builtin compadd "$@"
    }
    phx_offers_done() { print -r -- PHX-OFFERS-DONE; exit }
    comppostfuncs=(phx_offers_done)
    return
fi
zmodload zsh/zpty
zpty shell zsh -f -i
zpty -w shell "source ${(q)0} --setup ${(q)1}"
zpty -w -n shell "$2"$'\t'
integer waited=0
local line
while (( waited < 200 )); do
    if ! zpty -r -t shell line 2>/dev/null; then
        sleep 0.05
        (( waited++ ))
        continue
    fi
    line=${line//$'\r'/}
    line=${line%$'\n'}
    [[ $line == *PHX-OFFERS-DONE* ]] && { zpty -d shell; exit 0 }
    [[ $line == *"PHX-OFFERS "* ]] && print -r -- "${line#*PHX-OFFERS }"
done
zpty -d shell
print -u2 "zsh-offers: no answer from zsh in 10 s for: $2"
exit 1
