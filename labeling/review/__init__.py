"""Review (issue #19): reviewers and admins accept judgments or reject them with a note."""
