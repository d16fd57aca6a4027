from torch2ms.cli import main

raise SystemExit(main())
