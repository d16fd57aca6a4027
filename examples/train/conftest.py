import sys
from pathlib import Path

# The example files import each other (and the Cohere2 model) by module name, as in a user's project.
here = Path(__file__).parent
sys.path.insert(0, str(here))
sys.path.insert(0, str(here.parent / "modeling"))
