import sys
from pathlib import Path

# The example files import each other by module name, as they would in a user's project.
sys.path.insert(0, str(Path(__file__).parent))
