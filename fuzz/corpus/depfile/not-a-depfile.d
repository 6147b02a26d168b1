no rule here at all
