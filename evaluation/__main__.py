"""``python -m evaluation``: the same as ``unspin eval``."""

from unspin.commands.eval import eval_command

if __name__ == "__main__":
    eval_command(prog_name="python -m evaluation")
