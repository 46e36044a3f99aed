import sys

from deploy.space import main

sys.exit(main())
