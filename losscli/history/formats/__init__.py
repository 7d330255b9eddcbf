"""One module per kind of training log; each turns what its framework writes into a
:class:`losscli.history.model.TrainingLog`."""
